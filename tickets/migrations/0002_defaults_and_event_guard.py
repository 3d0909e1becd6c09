from django.db import migrations

from tickets.migrations._reference import ensure


GUARD_SQL = """
CREATE OR REPLACE FUNCTION tickets_event_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ticket events are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tickets_event_no_update_delete
    BEFORE UPDATE OR DELETE ON tickets_ticketevent
    FOR EACH ROW EXECUTE FUNCTION tickets_event_immutable();
"""
UNGUARD_SQL = """
DROP TRIGGER IF EXISTS tickets_event_no_update_delete ON tickets_ticketevent;
DROP FUNCTION IF EXISTS tickets_event_immutable();
"""


def defaults(apps, schema_editor):
    ensure(apps.get_model("staff", "Room"), apps.get_model("tickets", "EscalationPolicy"))


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_SQL)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_SQL)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial"), ("staff", "0001_initial")]

    operations = [
        migrations.RunPython(defaults, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
