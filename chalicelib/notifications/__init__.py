"""The one notification path: render a template, queue the message, deliver it by SMS or e-mail.

Requests only queue (``outgoing.queue_message``); the ``notifications`` queue's consumer
delivers through SNS or SES, retried by SQS and dead-lettered after repeated failures, so a
failed send is never lost silently.
"""
