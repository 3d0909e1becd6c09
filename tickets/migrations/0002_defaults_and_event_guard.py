from django.db import migrations

from supportdesk.core.events import immutable_rows_operation

from tickets.migrations._reference import ensure




def defaults(apps, schema_editor):
    ensure(apps.get_model("staff", "Room"), apps.get_model("tickets", "EscalationPolicy"))




class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial"), ("staff", "0001_initial")]

    operations = [
        migrations.RunPython(defaults, migrations.RunPython.noop),
        immutable_rows_operation(table="tickets_ticketevent", name="tickets_event", noun="ticket events"),
    ]
