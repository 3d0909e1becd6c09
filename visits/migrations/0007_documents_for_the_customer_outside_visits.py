"""R-VISIT-4: documents for the customer outside a visit (a fault explanation letter, a report linked to a ticket or
only to the customer): a document names its customer, and optionally a visit and a ticket."""
import django.db.models.deletion
from django.db import migrations, models


def customer_from_visit(apps, schema_editor):
    VisitDocument = apps.get_model("visits", "VisitDocument")
    Visit = apps.get_model("visits", "Visit")
    for visit_id, customer_id in Visit.objects.filter(documents__isnull=False).values_list("pk", "customer_id").distinct():
        VisitDocument.objects.filter(visit_id=visit_id).update(customer_id=customer_id)


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0002_policy_backdating_added_room_customer_update'),
        ('tickets', '0009_customer_updates'),
        ('visits', '0006_times_in_range'),
    ]

    operations = [
        migrations.AddField(
            model_name='visitdocument',
            name='customer',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='outgoing_documents', to='customers.customer', verbose_name='客户'),
        ),
        migrations.RunPython(customer_from_visit, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='visitdocument',
            name='customer',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='outgoing_documents', to='customers.customer', verbose_name='客户'),
        ),
        migrations.AddField(
            model_name='visitdocument',
            name='ticket',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tickets.faultticket', verbose_name='关联工单'),
        ),
        migrations.AlterField(
            model_name='visitdocument',
            name='visit',
            field=models.ForeignKey(blank=True, help_text='R-VISIT-4：拜访以外的往来文档（如故障说明函、报告）可不属于拜访', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='documents', to='visits.visit'),
        ),
    ]
