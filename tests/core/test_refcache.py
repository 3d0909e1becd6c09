"""Reference data kept in the process: read once, dropped when an administrator saves a row."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import EscalationPolicy
from customers.selectors import policy_for
from staff.models import Room
from staff.selectors import room_by_code, rooms_by_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_on(settings):
    settings.REFERENCE_CACHE_SECONDS = 60
    from customers import selectors as cs
    from staff import selectors as ss

    cs._POLICIES.clear()
    ss._ROOMS.clear()
    yield
    cs._POLICIES.clear()
    ss._ROOMS.clear()


def test_rooms_and_policies_are_read_once(cache_on):
    policy_for("gold")
    room_by_code("transport")
    with CaptureQueriesContext(connection) as ctx:
        assert policy_for("gold").tier == "gold"
        assert policy_for("diamond").tier == "diamond"
        assert room_by_code("transport").code == "transport"
        assert set(rooms_by_code(["transport", "datacom", "nowhere"])) == {"transport", "datacom"}
    assert len(ctx.captured_queries) == 0


def test_a_saved_row_is_seen_at_once(cache_on):
    """R-ESC-1: a policy changed in the admin applies to the next ticket opened."""
    assert policy_for("gold").joint_after == EscalationPolicy.objects.get(tier="gold").joint_after
    policy = EscalationPolicy.objects.get(tier="gold")
    policy.joint_after = timedelta(minutes=30)
    policy.save()
    assert policy_for("gold").joint_after == timedelta(minutes=30)
    room = Room.objects.get(code="transport")
    room.name = "传输室（新）"
    room.save()
    assert room_by_code("transport").name == "传输室（新）"
