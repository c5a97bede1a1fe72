"""CDK template assertions on the analytics lake: the Glue ``orders`` table the writer fills, and Athena."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template

from chalicelib.analytics.lake import FIRST_DAY, GLUE_COLUMNS
from chalicelib.resources import physical_name
from tests.infrastructure.test_stack import functions_env


def _one(template: Template, kind: str) -> dict[str, Any]:
    found = list(template.find_resources(kind).values())
    assert len(found) == 1, found
    props: dict[str, Any] = found[0]["Properties"]
    return props


def _bucket_ref(resources: dict[str, dict[str, Any]], env_var: str) -> str:
    """The logical id of the bucket the functions know as ``env_var``."""
    return str(functions_env(resources)[env_var]["Ref"])


def test_the_orders_table_has_the_writers_columns_and_projects_its_days(
    template: Template, resources: dict[str, dict[str, Any]]
) -> None:
    table = _one(template, "AWS::Glue::Table")["TableInput"]
    database = _one(template, "AWS::Glue::Database")["DatabaseInput"]
    assert database["Name"] == "jiazheng_dev_analytics"
    assert table["Name"] == "orders" and table["TableType"] == "EXTERNAL_TABLE"
    storage = table["StorageDescriptor"]
    assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == [(n, t) for n, t, _ in GLUE_COLUMNS]
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.dt.type"] == "date"
    assert parameters["projection.dt.format"] == "yyyy-MM-dd"
    assert parameters["projection.dt.range"] == f"{FIRST_DAY},NOW"
    lake = _bucket_ref(resources, "LAKE_BUCKET")
    template_location = json.dumps(parameters["storage.location.template"])
    assert lake in template_location and "/orders/dt=${dt}/" in template_location
    assert lake in json.dumps(storage["Location"])


def test_the_workgroup_enforces_its_results_location_in_the_expiring_exports_bucket(
    template: Template, resources: dict[str, dict[str, Any]]
) -> None:
    workgroup = _one(template, "AWS::Athena::WorkGroup")
    assert workgroup["Name"] == physical_name("dev", "analytics")
    configuration = workgroup["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] > 0
    output = json.dumps(configuration["ResultConfiguration"]["OutputLocation"])
    exports = _bucket_ref(resources, "EXPORTS_BUCKET")
    assert exports in output and "/athena/" in output
    rules = resources[exports]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any("ExpirationInDays" in rule and "Prefix" not in rule for rule in rules)
