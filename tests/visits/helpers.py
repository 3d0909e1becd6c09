"""Visits built the way the pages and the API build them: through the services."""
from datetime import timedelta

from django.utils import timezone

from tests import factories as f
from visits import services


def plan(by=None, customer=None, kind="technical_exchange", planned_at=None, **kwargs):
    by = by or f.support_engineer()
    customer = customer or f.CustomerFactory()
    return services.create_visit(
        by=by, customer_id=customer.pk, kind=kind, planned_at=planned_at or timezone.now() + timedelta(days=2),
        place="客户机房", **kwargs,
    )


def call(visit, by, **kwargs):
    values = dict(
        callee_name="张工", callee_phone="13900000000", confirmed_time=visit.planned_at,
        confirmed_place="客户机房 3 楼", confirmed_participants="我方 2 人；客户张工", contact_left="李工 13800000000",
    )
    values.update(kwargs)
    return services.confirm_visit(visit_id=visit.pk, by=by, **values)
