"""The daily aggregate items: sharded sums kept from facts, read by day, repaired from the journal.

Keys (``docs/data-model.md``, "Analytics"):

- ``ANLX#DAY#<day>#<shard>`` / ``CNT#<dimension>``: the counters of one dimension (one number
  attribute per counter, plus ``v``, bumped by every write);
- ``ANLX#DAY#<day>#<shard>`` / ``HLL#<sketch>#<dimension>``: one distinct-actor sketch (a number
  set ``m``, ``chalicelib.analytics.sketch``);
- ``ANLX#JRNL#<day>#<shard>`` / ``<event id>``: the fact itself, the journal.

A fact goes to shard ``hash(event id) % SHARDS``, so a busy day's writes spread over ``SHARDS``
partitions and no key sees more than its share (each write is small: one dimension's counters).
Applying a fact is one transaction: the journal entry, on condition that it does not exist yet,
and the ``ADD`` of its deltas. A fact delivered twice fails the condition and adds nothing, so
replaying the events changes nothing. Reading a day is one Query per shard partition; the
nightly repair recomputes each shard of a day from its journal and overwrites what drifted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.analytics.metrics import Contribution, Fact, contributions, day_of
from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.observability import logger

__all__ = ["SHARDS", "DaySums", "apply", "read_days", "repair_day"]

SHARDS = 8
"""Partitions per day. Raising it is safe for new days; readers read ``range(SHARDS)``."""

_VERSION = "v"


@dataclass
class DaySums:
    """One day's sums over all shards: counters and sketch members by ``<name>|<dimension>``."""

    counters: dict[str, int] = field(default_factory=dict)
    sketches: dict[str, set[int]] = field(default_factory=dict)

    def merge(self, other: DaySums) -> None:
        for key, value in other.counters.items():
            self.counters[key] = self.counters.get(key, 0) + value
        for key, members in other.sketches.items():
            self.sketches.setdefault(key, set()).update(members)


def shard_of(event_id: str) -> int:
    return int(hashlib.sha256(event_id.encode()).hexdigest()[:8], 16) % SHARDS


def day_pk(day: str, shard: int) -> str:
    return f"ANLX#DAY#{day}#{shard:02d}"


def journal_pk(day: str, shard: int) -> str:
    return f"ANLX#JRNL#{day}#{shard:02d}"


def _db() -> Any:
    return client("dynamodb")


def _by_item(contribution: Contribution) -> dict[str, dict[str, Any]]:
    """The contribution regrouped by the aggregate item (sort key) each part lands on."""
    items: dict[str, dict[str, Any]] = {}
    for key, amount in contribution.counters.items():
        name, dim = key.split("|", 1)
        items.setdefault(f"CNT#{dim}", {})[name] = amount
    for key, members in contribution.sketches.items():
        name, dim = key.split("|", 1)
        items.setdefault(f"HLL#{name}#{dim}", {})["m"] = members
    return items


def _add_update(table: str, pk: str, sk: str, values: dict[str, Any]) -> dict[str, Any]:
    names = {"#v": _VERSION}
    vals: dict[str, Any] = {":one": {"N": "1"}}
    parts = ["#v :one"]
    for i, (name, value) in enumerate(sorted(values.items())):
        names[f"#a{i}"] = name
        if isinstance(value, set):
            vals[f":a{i}"] = {"NS": [str(member) for member in sorted(value)]}
        else:
            vals[f":a{i}"] = {"N": str(value)}
        parts.append(f"#a{i} :a{i}")
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "UpdateExpression": "ADD " + ", ".join(parts),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": vals,
        }
    }


def apply(fact: Fact) -> bool:
    """Add ``fact`` to its day's aggregates once; False if it was already applied (a replay)."""
    from botocore.exceptions import ClientError

    table = settings().table_name
    day = day_of(fact.at)
    shard = shard_of(fact.event_id)
    actions: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table,
                "Item": {
                    "pk": {"S": journal_pk(day, shard)},
                    "sk": {"S": fact.event_id},
                    "fact": {"S": fact.model_dump_json()},
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    ]
    for sk, values in _by_item(contributions(fact)).items():
        actions.append(_add_update(table, day_pk(day, shard), sk, values))
    try:
        _db().transact_write_items(TransactItems=actions)
    except ClientError as error:
        reasons = error.response.get("CancellationReasons") or []
        if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
            return False
        raise
    return True


def _query(pk: str) -> Iterator[dict[str, Any]]:
    table = settings().table_name
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "ConsistentRead": True,
    }
    while True:
        page = _db().query(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _sums_of(items: Iterable[dict[str, Any]]) -> DaySums:
    sums = DaySums()
    for item in items:
        sk = item["sk"]["S"]
        if sk.startswith("CNT#"):
            dim = sk[4:]
            for name, value in item.items():
                if name not in ("pk", "sk", _VERSION) and "N" in value:
                    key = f"{name}|{dim}"
                    sums.counters[key] = sums.counters.get(key, 0) + int(value["N"])
        elif sk.startswith("HLL#"):
            name, dim = sk[4:].split("#", 1)
            members = {int(member) for member in item.get("m", {}).get("NS", [])}
            sums.sketches.setdefault(f"{name}|{dim}", set()).update(members)
    return sums


def read_days(days: Iterable[str]) -> dict[str, DaySums]:
    """Each day's sums: ``SHARDS`` Queries a day, never an order."""
    out: dict[str, DaySums] = {}
    for day in days:
        total = DaySums()
        for shard in range(SHARDS):
            total.merge(_sums_of(_query(day_pk(day, shard))))
        out[day] = total
    return out


def _journal_facts(day: str, shard: int) -> list[Fact]:
    return [Fact.model_validate_json(item["fact"]["S"]) for item in _query(journal_pk(day, shard))]


def _expected(facts: Iterable[Fact]) -> dict[str, dict[str, Any]]:
    items: dict[str, dict[str, Any]] = {}
    for fact in facts:
        for sk, values in _by_item(contributions(fact)).items():
            target = items.setdefault(sk, {})
            for name, value in values.items():
                if isinstance(value, set):
                    target.setdefault(name, set()).update(value)
                else:
                    target[name] = target.get(name, 0) + value
    return items


def _values_of(item: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in item.items():
        if name in ("pk", "sk", _VERSION):
            continue
        if "N" in value:
            values[name] = int(value["N"])
        elif "NS" in value:
            values[name] = {int(member) for member in value["NS"]}
    return {name: value for name, value in values.items() if value}


def _put(pk: str, sk: str, values: dict[str, Any], version: int | None) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}, _VERSION: {"N": str((version or 0) + 1)}}
    for name, value in values.items():
        if isinstance(value, set):
            item[name] = {"NS": [str(member) for member in sorted(value)]}
        else:
            item[name] = {"N": str(value)}
    put: dict[str, Any] = {"TableName": settings().table_name, "Item": item}
    if version is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "#v = :v"
        put["ExpressionAttributeNames"] = {"#v": _VERSION}
        put["ExpressionAttributeValues"] = {":v": {"N": str(version)}}
    return put


def _repair_shard(day: str, shard: int) -> int:
    """Overwrite the aggregate items of one shard that disagree with its journal; returns how many."""
    pk = day_pk(day, shard)
    current = {item["sk"]["S"]: item for item in _query(pk)}
    expected = _expected(_journal_facts(day, shard))
    fixes = 0
    db = _db()
    for sk in sorted(set(current) | set(expected)):
        want = expected.get(sk, {})
        have = current.get(sk)
        if have is not None and _values_of(have) == want:
            continue
        version = int(have[_VERSION]["N"]) if have is not None and _VERSION in have else None
        if have is not None and version is None:
            version = 0
            put = _put(pk, sk, want, None)
            put["ConditionExpression"] = "attribute_not_exists(#v)"
            put["ExpressionAttributeNames"] = {"#v": _VERSION}
        else:
            put = _put(pk, sk, want, version)
        # The version condition makes a fact applied meanwhile win: this shard is read again.
        db.put_item(**put)
        fixes += 1
    return fixes


def repair_day(day: str, *, attempts: int = 3) -> int:
    """Recompute every shard of ``day`` from its journal; returns the items that had drifted."""
    from botocore.exceptions import ClientError

    fixed = 0
    for shard in range(SHARDS):
        for attempt in range(attempts):
            try:
                fixed += _repair_shard(day, shard)
                break
            except ClientError as error:
                if (
                    error.response["Error"]["Code"] != "ConditionalCheckFailedException"
                    or attempt == attempts - 1
                ):
                    raise
    if fixed:
        logger.warning("analytics drift repaired", day=day, items=fixed)
    return fixed
