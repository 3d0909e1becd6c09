"""R-CMP-LIMITS defaults (SPEC §5 table, read as 0.5 / 1.5 / 4.5 / 7.5 / 12.5), the routes, and the
trigger that keeps complaint events immutable on PostgreSQL."""

from django.db import migrations

GUARD_SQL = """
CREATE OR REPLACE FUNCTION complaints_event_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'complaint events are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER complaints_event_no_update_delete
    BEFORE UPDATE OR DELETE ON complaints_complaintevent
    FOR EACH ROW EXECUTE FUNCTION complaints_event_immutable();
"""
UNGUARD_SQL = """
DROP TRIGGER IF EXISTS complaints_event_no_update_delete ON complaints_complaintevent;
DROP FUNCTION IF EXISTS complaints_event_immutable();
"""

def defaults(apps, schema_editor):
    from complaints.migrations._defaults import ensure

    ensure(apps)

def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_SQL)

def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_SQL)

class Migration(migrations.Migration):
    dependencies = [("complaints", "0003_complaint"), ("staff", "0001_initial")]
    operations = [
        migrations.RunPython(defaults, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
