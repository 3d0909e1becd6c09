"""``next_due_at`` of a new ticket computed on its ``INSERT`` (PostgreSQL).

Ingestion writes a new ticket's deadline rows before the ticket itself (the foreign key is checked at commit), so the
ticket is inserted with its nearest deadline already set instead of being inserted with none and then updated by the
deadline trigger: that update changed an indexed column, so it wrote a new row version into every index of the
ticket table. A ticket inserted before its deadlines (every other writer) is still updated by the deadline trigger,
as before. SQLite keeps its row triggers (migration 0011).
"""
from django.db import migrations

from supportdesk.core.schema import postgresql_only

FORWARD = """
CREATE OR REPLACE FUNCTION tickets_ticket_next_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.next_due_at := tickets_nearest_due(NEW.id);
    RETURN NEW;
END $$;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION tickets_ticket_next_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.next_due_at := NULL;  -- a new ticket has no deadline rows yet
    ELSE
        NEW.next_due_at := tickets_nearest_due(NEW.id);
    END IF;
    RETURN NEW;
END $$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0013_customer_update_owed_index"),
    ]

    operations = [postgresql_only(FORWARD, BACKWARD)]
