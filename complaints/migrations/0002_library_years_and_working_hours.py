"""R-CMP-WORKDAY: the default working hours, and the years chinese-calendar knows (from 2024)."""
from datetime import time

from django.db import migrations


def forward(apps, schema_editor):
    WorkingPeriod = apps.get_model("complaints", "WorkingPeriod")
    if not WorkingPeriod.objects.exists():
        WorkingPeriod.objects.bulk_create(
            [WorkingPeriod(start=time(9, 0), end=time(12, 0)), WorkingPeriod(start=time(13, 30), end=time(18, 0))]
        )
    from complaints.migrations._calendar import load_library_years

    load_library_years(apps, since=2024)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_working_calendar")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
