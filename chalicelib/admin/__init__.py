"""Administration use cases: the audit log, users and staff, the worker blacklist, ops alerts."""
