"""R-CMP-LIMITS defaults (SPEC §5 table, read as 0.5 / 1.5 / 4.5 / 7.5 / 12.5), the routes, and the
trigger that keeps complaint events immutable on PostgreSQL."""

from django.db import migrations

from supportdesk.core.events import immutable_rows_operation


def defaults(apps, schema_editor):
    from complaints.migrations._defaults import ensure

    ensure(apps)

class Migration(migrations.Migration):
    dependencies = [("complaints", "0003_complaint"), ("staff", "0001_initial")]
    operations = [
        migrations.RunPython(defaults, migrations.RunPython.noop),
        immutable_rows_operation(table="complaints_complaintevent", name="complaints_event", noun="complaint events"),
    ]
