"""Support items: a ticket and, in its partition, its messages and attachments.

- ticket      ``TICKET#<id> / TICKET``; gsi1 ``USER#<owner>#TICKETS`` / ``<created_at>#<id>``
              (the owner's list), gsi2 ``TICKETS#<status>`` / ``<created_at>#<id>`` (staff queue
              by status), gsi3 ``TICKETS#ASSIGNEE#<staff id>`` / ``<created_at>#<id>`` once assigned
- message     ``TICKET#<id> / MSG#<ulid>`` (ULIDs sort by time)
- attachment  ``TICKET#<id> / ATT#<attachment id>`` (the file in the private uploads bucket)
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.models.base import MainItem

__all__ = ["TicketAttachmentItem", "TicketItem", "TicketMessageItem"]


class TicketItem(MainItem):
    ticket_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    owner_role = UnicodeAttribute()
    type = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="open")
    assignee_id = UnicodeAttribute(null=True)
    rating = NumberAttribute(null=True)
    rating_comment = UnicodeAttribute(null=True)
    first_response_at = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    sla_due_at = UnicodeAttribute(null=True)
    version = NumberAttribute(default=1)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(ticket_id: str) -> tuple[str, str]:
        return f"TICKET#{ticket_id}", "TICKET"


class TicketMessageItem(MainItem):
    message_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_role = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UnicodeAttribute()


class TicketAttachmentItem(MainItem):
    attachment_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    uploaded_by = UnicodeAttribute()
    file_name = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size_bytes = NumberAttribute()
    s3_key = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(ticket_id: str, attachment_id: str) -> tuple[str, str]:
        return f"TICKET#{ticket_id}", f"ATT#{attachment_id}"
