"""Jiazheng backend: everything that deploys to Lambda besides app.py."""
