"""Workers: onboarding and certification review, levels, availability and search."""
