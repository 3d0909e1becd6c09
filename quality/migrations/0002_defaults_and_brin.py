"""SPEC §6 defaults (indicators of data and internet leased lines, thresholds, dial schedules) and, on PostgreSQL,
BRIN indexes on the time columns: retention deletes by time without a second large B-tree on every table."""
from django.db import migrations

BRIN = [
    ("quality_sample", "at", "sample_at_brin"),
    ("quality_rollup15m", "bucket", "rollup15m_bucket_brin"),
    ("quality_rollup1h", "bucket", "rollup1h_bucket_brin"),
]


def defaults(apps, schema_editor):
    from quality.defaults import ensure

    ensure(*(apps.get_model("quality", name) for name in ("Indicator", "ServiceIndicator", "Threshold", "DialSchedule")))


def brin(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, name in BRIN:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING brin ({column})")


def drop_brin(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, _, name in BRIN:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]

    operations = [
        migrations.RunPython(defaults, migrations.RunPython.noop),
        migrations.RunPython(brin, drop_brin),
    ]
