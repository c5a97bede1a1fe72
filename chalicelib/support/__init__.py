"""Customer support: tickets with messages and attachments, assignment, the first-response SLA."""
