"""The single-table base: key attributes, the overloaded GSIs and the TTL attribute.

Every item class subclasses :class:`MainItem`, so all of them live in one table described by
``chalicelib.resources.TABLES["main"]`` (a unit test keeps the two in step).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.session import Session as BotocoreSession
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib import aws
from chalicelib.config import settings

__all__ = ["Gsi1", "Gsi2", "Gsi3", "MainItem", "cancellation_reasons", "connection", "transact_write"]


class Gsi1(GlobalSecondaryIndex[Any]):
    """Overloaded index #1 (owner listings: a user's sessions, outbox by target, ...)."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex[Any]):
    """Overloaded index #2 (admin listings by role/status, ...)."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex[Any]):
    """Index #3: orders by the local date they start (``chalicelib.orders.day_index``)."""

    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class MainItem(Model):
    """Base of every item in the main table."""

    class Meta:
        table_name = settings().table_name
        region = settings().region
        max_retry_attempts = 3
        connect_timeout_seconds = 2
        read_timeout_seconds = 5

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    ttl = NumberAttribute(null=True)

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """The item class's table connection, on the process's one DynamoDB client.

        pynamodb gives every model class a botocore client of its own, and creating one costs
        tens of milliseconds: a cold Lambda would pay that for each of the dozen item classes a
        request touches. Every item class shares the client of :func:`connection` instead.
        """
        table = super()._get_connection()
        if table.connection._client is None:
            table.connection._client = connection().client
        return table


class _SharedSessionConnection(Connection):
    """A pynamodb connection whose client comes from the process's one botocore session.

    pynamodb makes a new botocore session per connection (and thread), which loads botocore's
    endpoint data again: tens of milliseconds on a cold start for nothing.
    """

    @property
    def session(self) -> BotocoreSession:
        return aws.botocore_session()


@cache
def connection() -> Connection:
    """The process's pynamodb connection: transactions, and the client every item class uses."""
    made = _SharedSessionConnection(
        region=settings().region,
        max_retry_attempts=MainItem.Meta.max_retry_attempts,
        connect_timeout_seconds=MainItem.Meta.connect_timeout_seconds,
        read_timeout_seconds=MainItem.Meta.read_timeout_seconds,
    )
    with aws.creating:  # made now, under the lock every client of the session is made under
        made.client  # noqa: B018
    return made


def transact_write() -> TransactWrite:
    """A write transaction: all of its puts, updates, deletes and checks happen, or none.

    pynamodb sends condition checks first, then deletes, puts and updates, whatever the order of
    the calls: the cancellation reasons of a failed transaction follow that order.
    """
    return TransactWrite(connection=connection())


def cancellation_reasons(error: TransactWriteError) -> list[str | None]:
    """The reason code of each item of a cancelled transaction, in pynamodb's send order."""
    return [reason.code if reason else None for reason in (error.cancellation_reasons or [])]
