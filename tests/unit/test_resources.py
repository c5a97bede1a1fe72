"""The pynamodb models and the resource description that CDK and the local stack build from agree."""

from __future__ import annotations

from chalicelib.models.accounts import UserItem
from chalicelib.models.base import MainItem
from chalicelib.resources import QUEUES, TABLES, physical_name


def test_main_table_keys_and_indexes_match_the_description() -> None:
    spec = next(table for table in TABLES if table.name == "main")
    schema = MainItem._get_schema()
    keys = {key["AttributeName"]: key["KeyType"] for key in schema["key_schema"]}
    assert keys == {spec.partition_key: "HASH", spec.sort_key: "RANGE"}
    indexes = {
        index["index_name"]: {key["AttributeName"]: key["KeyType"] for key in index["key_schema"]}
        for index in schema["global_secondary_indexes"]
    }
    assert indexes == {
        index.name: {index.partition_key: "HASH", index.sort_key: "RANGE"} for index in spec.indexes
    }
    assert UserItem.Meta.table_name == MainItem.Meta.table_name == physical_name("local", "main")
    assert MainItem.ttl.attr_name == spec.ttl_attribute


def test_every_queue_handler_is_importable_and_registered_in_app() -> None:
    import importlib

    import app

    names = {function.name for function in app.app.pure_lambda_functions}
    for queue in QUEUES:
        module, _, attribute = queue.handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute))
        assert queue.function in names
