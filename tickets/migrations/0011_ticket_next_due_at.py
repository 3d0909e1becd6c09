"""R-PRIO at scale: the nearest pending deadline on the ticket row, kept by PostgreSQL.

``tickets_faultticket.next_due_at`` is the smallest ``due_at`` of the ticket's deadline rows of the queue's kinds
(``tickets.selectors.QUEUE_DEADLINE_KINDS``: joint handling, arrival, broadcast slots; not an owed customer update)
that are neither met, breached nor cancelled. Triggers keep it exact whoever writes (services, the sweep's bulk
updates, ``generate_load``'s ``INSERT … SELECT``, a migration of another app):

- before a ticket row is inserted or updated, the value is recomputed from its deadlines (so a full
  ``save()`` of a ticket read earlier can never write a stale value back);
- after a statement inserts, updates or deletes deadline rows, the tickets it touched are recomputed, once
  per statement (transition tables), writing only rows whose value changed.
"""

from django.conf import settings
from django.db import migrations, models


FORWARD = """
CREATE FUNCTION tickets_nearest_due(tid bigint) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT min(due_at) FROM tickets_deadline
    WHERE ticket_id = tid AND met_at IS NULL AND breached_at IS NULL AND cancelled_at IS NULL
      AND kind IN ('joint_handling', 'arrival', 'broadcast')
$$;

CREATE FUNCTION tickets_ticket_next_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.next_due_at := NULL;  -- a new ticket has no deadline rows yet
    ELSE
        NEW.next_due_at := tickets_nearest_due(NEW.id);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER tickets_ticket_next_due BEFORE INSERT OR UPDATE ON tickets_faultticket
    FOR EACH ROW EXECUTE FUNCTION tickets_ticket_next_due();

CREATE FUNCTION tickets_deadline_next_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE tickets_faultticket t SET next_due_at = NULL
        WHERE t.id IN (SELECT DISTINCT ticket_id FROM new_rows)
          AND t.next_due_at IS DISTINCT FROM tickets_nearest_due(t.id);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE tickets_faultticket t SET next_due_at = NULL
        WHERE t.id IN (SELECT DISTINCT ticket_id FROM old_rows)
          AND t.next_due_at IS DISTINCT FROM tickets_nearest_due(t.id);
    ELSE
        UPDATE tickets_faultticket t SET next_due_at = NULL
        WHERE t.id IN (SELECT ticket_id FROM new_rows UNION SELECT ticket_id FROM old_rows)
          AND t.next_due_at IS DISTINCT FROM tickets_nearest_due(t.id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER tickets_deadline_next_due_ins AFTER INSERT ON tickets_deadline
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tickets_deadline_next_due();
CREATE TRIGGER tickets_deadline_next_due_upd AFTER UPDATE ON tickets_deadline
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tickets_deadline_next_due();
CREATE TRIGGER tickets_deadline_next_due_del AFTER DELETE ON tickets_deadline
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tickets_deadline_next_due();

UPDATE tickets_faultticket t SET next_due_at = NULL
WHERE EXISTS (SELECT 1 FROM tickets_deadline d WHERE d.ticket_id = t.id AND d.met_at IS NULL
              AND d.breached_at IS NULL AND d.cancelled_at IS NULL
              AND d.kind IN ('joint_handling', 'arrival', 'broadcast'));
"""

# SQLite (the service-free development run): row triggers doing the same.
_SQLITE_NEAREST = """(SELECT min(due_at) FROM tickets_deadline WHERE ticket_id = {t} AND met_at IS NULL
    AND breached_at IS NULL AND cancelled_at IS NULL AND kind IN ('joint_handling', 'arrival', 'broadcast'))"""
SQLITE_FORWARD = [
    f"""CREATE TRIGGER tickets_deadline_next_due_{event} AFTER {event.upper()} ON tickets_deadline FOR EACH ROW
    BEGIN
        {"".join(
            f"UPDATE tickets_faultticket SET next_due_at = {_SQLITE_NEAREST.format(t=row + '.ticket_id')} "
            f"WHERE id = {row}.ticket_id; "
            for row in rows)}
    END"""
    for event, rows in (("insert", ["NEW"]), ("update", ["OLD", "NEW"]), ("delete", ["OLD"]))
] + [
    f"""CREATE TRIGGER tickets_ticket_next_due AFTER UPDATE ON tickets_faultticket FOR EACH ROW
    WHEN NEW.next_due_at IS NOT {_SQLITE_NEAREST.format(t='NEW.id')}
    BEGIN
        UPDATE tickets_faultticket SET next_due_at = {_SQLITE_NEAREST.format(t='NEW.id')} WHERE id = NEW.id;
    END""",
]
SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS {name}" for name in (
    "tickets_deadline_next_due_insert", "tickets_deadline_next_due_update", "tickets_deadline_next_due_delete",
    "tickets_ticket_next_due")]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


BACKWARD = """
DROP TRIGGER IF EXISTS tickets_deadline_next_due_ins ON tickets_deadline;
DROP TRIGGER IF EXISTS tickets_deadline_next_due_upd ON tickets_deadline;
DROP TRIGGER IF EXISTS tickets_deadline_next_due_del ON tickets_deadline;
DROP TRIGGER IF EXISTS tickets_ticket_next_due ON tickets_faultticket;
DROP FUNCTION IF EXISTS tickets_deadline_next_due();
DROP FUNCTION IF EXISTS tickets_ticket_next_due();
DROP FUNCTION IF EXISTS tickets_nearest_due(bigint);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0001_initial'),
        ('staff', '0002_api_client'),
        ('tickets', '0010_times_in_range'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='faultticket',
            name='next_due_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='最近时限'),
        ),
        migrations.AddIndex(
            model_name='faultticket',
            index=models.Index(models.Case(models.When(then=models.Value(0), tier='diamond'), models.When(then=models.Value(1), tier='gold'), models.When(then=models.Value(2), tier='normal'), default=models.Value(9), output_field=models.IntegerField()), models.F('next_due_at'), models.F('occurred_at'), models.F('id'), condition=models.Q(('state__in', ('new', 'dispatched', 'lead_handling', 'joint_handling', 'restored'))), name='ticket_prio_idx'),
        ),
        migrations.AddIndex(
            model_name='faultticket',
            index=models.Index(models.Case(models.When(then=models.Value(0), tier='diamond'), models.When(then=models.Value(1), tier='gold'), models.When(then=models.Value(2), tier='normal'), default=models.Value(9), output_field=models.IntegerField()), models.F('next_due_at'), models.F('occurred_at'), models.F('id'), name='ticket_list_prio_idx'),
        ),
        migrations.RunPython(forward, backward),
    ]
