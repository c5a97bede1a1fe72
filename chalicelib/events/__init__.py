"""Event contracts (the envelope) and the consumers Lambda runs for queues and schedules."""
