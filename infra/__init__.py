"""Infrastructure as code for Jiazheng (never deployed with the app)."""
