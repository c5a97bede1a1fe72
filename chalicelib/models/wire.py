"""Items and transaction entries in DynamoDB's wire form, for the hottest write: booking.

pynamodb builds a transaction entry by walking every attribute of the item's class, building
condition and update expressions as objects and rendering them with placeholders: about a
tenth of a millisecond per entry, a quarter of booking's own time. Here an item is rendered
from the values it holds (:func:`item`, equal to ``model.serialize()``, a test keeps them so)
and expressions are written out as strings, their ``#name`` placeholders found in the text.
Items are still built as pynamodb models, so their attributes, defaults and required fields
stay declared in one place (``chalicelib.models``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, TypeVar

from pynamodb.attributes import ListAttribute, MapAttribute
from pynamodb.models import Model

__all__ = ["built", "item", "put", "update", "value"]

_NAME = re.compile(r"#(\w+)")
_M = TypeVar("_M", bound=Model)


@cache
def _codec(model_class: type[Model]) -> tuple[dict[str, tuple[str, str, Any]] | None, frozenset[str]]:
    """python name -> (attribute name, wire type, serializer), and the required python names;
    None for a class with map or list attributes (those keep pynamodb's own serializer)."""
    attributes = model_class.get_attributes()
    if any(isinstance(attribute, MapAttribute | ListAttribute) for attribute in attributes.values()):
        return None, frozenset()
    codec = {name: (a.attr_name, a.attr_type, a.serialize) for name, a in attributes.items()}
    return codec, frozenset(name for name, a in attributes.items() if not a.null)


@cache
def _defaults(model_class: type[Model]) -> tuple[frozenset[str], tuple[tuple[str, Any], ...]]:
    """The python names of ``model_class``'s attributes, and the defaults a new item gets."""
    if model_class._discriminator:  # type: ignore[attr-defined]
        raise TypeError(f"{model_class.__name__} is polymorphic: build it through its class")
    attributes = model_class.get_attributes()
    defaults = tuple(
        (name, a.default_for_new if a.default_for_new is not None else a.default)
        for name, a in attributes.items()
        if a.default_for_new is not None or a.default is not None
    )
    return frozenset(attributes), defaults


def built(model_class: type[_M], values: Mapping[str, Any]) -> _M:
    """``model_class(**values)``: the same new item, its class's defaults included, without
    setting each value through pynamodb's attribute descriptors (booking's order holds about
    thirty: a tenth of a millisecond). An unknown name raises, as the constructor would."""
    names, defaults = _defaults(model_class)
    unknown = values.keys() - names
    if unknown:
        raise ValueError(f"{model_class.__name__} has no attribute {', '.join(sorted(unknown))}")
    made = model_class.__new__(model_class)
    held = {name: default() if callable(default) else default for name, default in defaults}
    held.update(values)
    made.attribute_values = held
    return made


def item(model: Model) -> dict[str, dict[str, Any]]:
    """``model`` as DynamoDB stores it: what ``model.serialize()`` returns."""
    codec, required = _codec(type(model))
    if codec is None:
        return model.serialize()
    wire: dict[str, dict[str, Any]] = {}
    for name, held in model.attribute_values.items():
        if held is None:
            continue
        attr_name, wire_type, serialize = codec[name]
        serialized = serialize(held)
        if serialized is not None:
            wire[attr_name] = {wire_type: serialized}
    missing = [name for name in required if model.attribute_values.get(name) is None]
    if missing:
        raise ValueError(f"{type(model).__name__} lacks {', '.join(sorted(missing))}")
    return wire


def value(held: Any) -> dict[str, Any]:
    """A plain Python value (str, int, float, bool, None) in wire form."""
    if held is None:
        return {"NULL": True}
    if isinstance(held, bool):
        return {"BOOL": held}
    if isinstance(held, int | float):
        return {"N": json.dumps(held)}
    if isinstance(held, str):
        return {"S": held}
    raise TypeError(f"no wire form for {type(held).__name__}")


def _names(*expressions: str | None) -> dict[str, str]:
    return {f"#{name}": name for text in expressions if text for name in _NAME.findall(text)}


def put(model: Model, *, new: bool = False) -> dict[str, Any]:
    """A ``Put`` entry of ``model``; ``new``: only if no item has its key."""
    entry: dict[str, Any] = {"TableName": model.Meta.table_name, "Item": item(model)}
    if new:
        entry["ConditionExpression"] = "attribute_not_exists(#pk)"
        entry["ExpressionAttributeNames"] = {"#pk": "pk"}
    return {"Put": entry}


def update(
    model_class: type[Model],
    key: tuple[str, str],
    *,
    set_values: Mapping[str, Any],
    remove: Iterable[str] = (),
    condition: str | None = None,
    condition_values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An ``Update`` entry: ``SET`` each of ``set_values``, ``REMOVE`` each of ``remove``, if
    ``condition`` holds. The condition names attributes as ``#name`` and values as ``:name``
    (given in ``condition_values``)."""
    clauses = []
    values = {f":set_{name}": value(held) for name, held in set_values.items()}
    if set_values:
        clauses.append("SET " + ", ".join(f"#{name} = :set_{name}" for name in set_values))
    removed = list(remove)
    if removed:
        clauses.append("REMOVE " + ", ".join(f"#{name}" for name in removed))
    expression = " ".join(clauses)
    pk, sk = key
    entry: dict[str, Any] = {
        "TableName": model_class.Meta.table_name,
        "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
        "UpdateExpression": expression,
        "ExpressionAttributeNames": _names(expression, condition),
    }
    if condition:
        entry["ConditionExpression"] = condition
        values.update({name: value(held) for name, held in (condition_values or {}).items()})
    if values:
        entry["ExpressionAttributeValues"] = values
    return {"Update": entry}
