"""Scheduling: a worker's working hours, the free start times of a day, and travel between jobs.

``slots`` and ``travel`` are pure arithmetic (no AWS, no clock of their own); ``availability``
stores the working hours; ``calendar`` reads a worker-day and answers "which starts are free" and
"is this start free" with the very same rules, so a slot shown free is a slot booking accepts.
"""
