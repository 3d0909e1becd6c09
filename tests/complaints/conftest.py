"""Complaint tests: reference rows survive transactional tests' flushes; complaints made through the services."""
from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")
_ids = count(1)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def _complaint_reference_data(request):
    """Policies, routes, working hours and the library's calendar years (a flush removes them)."""
    if not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("django_db_setup")
    from complaints.models import CalendarYear, ComplaintPolicy, WorkingPeriod

    if ComplaintPolicy.objects.count() >= 2 and CalendarYear.objects.filter(year=2026).exists():
        return
    from datetime import time

    from complaints.migrations._calendar import load_library_years
    from complaints.migrations._defaults import ensure

    ensure()
    if not WorkingPeriod.objects.exists():
        WorkingPeriod.objects.bulk_create([WorkingPeriod(start=time(9), end=time(12)),
                                           WorkingPeriod(start=time(13, 30), end=time(18))])
    load_library_years(since=2024)


def complaint_body(customer_code: str, circuit_id: str = "", **overrides) -> dict:
    body = {
        "complaint_id": f"KF-T-{next(_ids):06d}", "customer_code": customer_code, "circuit_id": circuit_id,
        "category": "slow", "description": "专线访问缓慢", "contact_name": "王工", "contact_phone": "13800000000",
        "channel": "customer_service", "received_at": "2026-11-24T10:05:00+08:00",
    }
    body.update(overrides)
    return body


def receive(customer, circuit=None, *, received_at=None, **overrides):
    from complaints.services.intake import ComplaintIn, receive_complaint

    values = dict(complaint_id=f"KF-S-{next(_ids):06d}", customer_code=customer.code,
                  circuit_id=circuit.circuit_id if circuit else "", category="slow", description="专线访问缓慢",
                  received_at=received_at or at(2026, 11, 24, 10, 5))
    values.update(overrides)
    return receive_complaint(data=ComplaintIn(**values)).complaint
