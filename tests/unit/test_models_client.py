"""Every item class talks to DynamoDB through one botocore client (creating one costs tens of ms)."""

from __future__ import annotations

from chalicelib.models.accounts import UserItem
from chalicelib.models.base import connection
from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import LedgerEntryItem


def test_every_item_class_shares_the_transactions_client() -> None:
    clients = {
        id(model._get_connection().connection.client) for model in (OrderItem, UserItem, LedgerEntryItem)
    }
    assert clients == {id(connection().client)}
