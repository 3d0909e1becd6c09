from datetime import timedelta

from django.db import migrations

ROOMS = [
    ("monitoring", "监控室", "monitoring"),
    ("service_support", "服务支撑室", "support"),
    ("transport", "传送网室", "professional"),
    ("datacom", "数据网室", "professional"),
    ("core", "核心网室", "professional"),
    ("wireless", "无线网室", "professional"),
    ("power", "动力环境室", "professional"),
]

POLICIES = {
    "diamond": dict(important=True, joint_after=timedelta(hours=1), arrival_after=timedelta(hours=2),
                    broadcast_every=timedelta(hours=1), site_lead_on_total_outage=True,
                    site_lead_on_any_fault=True, explanation_required_to_close=True),
    "gold": dict(important=True, joint_after=timedelta(hours=1), arrival_after=timedelta(hours=2),
                 broadcast_every=timedelta(hours=1), site_lead_on_total_outage=True,
                 site_lead_on_any_fault=False, explanation_required_to_close=True),
    "normal": dict(important=False, joint_after=timedelta(hours=3), arrival_after=None,
                   broadcast_every=timedelta(hours=1), site_lead_on_total_outage=False,
                   site_lead_on_any_fault=False, explanation_required_to_close=False),
}

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
    Room = apps.get_model("staff", "Room")
    Policy = apps.get_model("tickets", "EscalationPolicy")
    for code, name, kind in ROOMS:
        Room.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
    for tier, values in POLICIES.items():
        Policy.objects.get_or_create(tier=tier, defaults=values)


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
