"""Response of the worker's contact reveal (a contract extension of API.md "Orders")."""

from __future__ import annotations

from pydantic import Field

from chalicelib.basemodel import Model

__all__ = ["ContactOut"]


class ContactOut(Model):
    order_id: str
    contact_name: str
    contact_phone: str = Field(description="The real number: only for the assigned worker, audited.")
    visible_from: str = Field(description="One hour before the start.")
    visible_until: str = Field(description="The order's end.")
