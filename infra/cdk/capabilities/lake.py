"""The analytics lake for Athena: a Glue database with the ``orders`` table, and a workgroup.

The nightly run writes each day's orders to the lake bucket as ``orders/dt=<day>/orders.json.gz``
(``chalicelib.analytics.lake``). The table reads them with the OpenX JSON SerDe; its columns are
``chalicelib.analytics.lake.GLUE_COLUMNS``, the writer's own, so they cannot drift apart. ``dt`` is
a projected partition (a date from ``FIRST_DAY`` to today, one prefix a day): no crawler, no
``MSCK REPAIR``, a new day is queryable the moment its file exists.

The workgroup enforces its settings (results under ``athena/`` in the exports bucket, which
expires everything after 30 days; SSE-S3; a cap on the bytes one query may scan), so a user
cannot write results elsewhere or run up an unbounded scan.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from constructs import Construct

from chalicelib.analytics.lake import FIRST_DAY, GLUE_COLUMNS, ORDERS_PREFIX
from infra.cdk.capabilities.storage import Storage
from infra.cdk.stage import StageSettings

__all__ = ["RESULTS_PREFIX", "SCAN_LIMIT_BYTES", "AnalyticsLake"]

RESULTS_PREFIX = "athena/"
SCAN_LIMIT_BYTES = 100 * 1024**3
"""At most 100 GiB scanned a query (about US$0.50): years of gzip JSON orders, not a runaway."""
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"


class AnalyticsLake(Construct):
    """The Glue database and ``orders`` table over the lake bucket, and the Athena workgroup."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: StageSettings, storage: Storage
    ) -> None:
        super().__init__(scope, construct_id)
        account = Stack.of(self).account
        lake = storage.buckets["lake"].bucket_name
        exports = storage.buckets["exports"].bucket_name
        # Glue and Athena names take no hyphens: jiazheng_<stage>_analytics.
        self.database_name = settings.name_of("analytics").replace("-", "_")
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name,
                description="Jiazheng analytics lake (docs/analytics.md): the nightly partitions for Athena",
            ),
        )
        location = f"s3://{lake}/{ORDERS_PREFIX}"
        self.orders = glue.CfnTable(
            self,
            "OrdersTable",
            catalog_id=account,
            database_name=self.database.ref,  # the Ref is the name: created after the database
            table_input=glue.CfnTable.TableInputProperty(
                name="orders",
                description="One row per order by its service start day (dt, Asia/Shanghai), masked as the exports",
                table_type="EXTERNAL_TABLE",
                parameters={
                    "classification": "json",
                    "compressionType": "gzip",
                    "projection.enabled": "true",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd",
                    "projection.dt.range": f"{FIRST_DAY},NOW",
                    "projection.dt.interval": "1",
                    "projection.dt.interval.unit": "DAYS",
                    "storage.location.template": f"{location}dt=${{dt}}/",
                },
                partition_keys=[glue.CfnTable.ColumnProperty(name="dt", type="string")],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[
                        glue.CfnTable.ColumnProperty(name=name, type=kind, comment=comment)
                        for name, kind, comment in GLUE_COLUMNS
                    ],
                    location=location,
                    input_format="org.apache.hadoop.mapred.TextInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    compressed=True,
                    serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=JSON_SERDE),
                ),
            ),
        )
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=settings.name_of("analytics"),
            description=f"Athena over the analytics lake ({self.database_name}); results kept 30 days",
            state="ENABLED",
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=SCAN_LIMIT_BYTES,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{exports}/{RESULTS_PREFIX}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
        )
