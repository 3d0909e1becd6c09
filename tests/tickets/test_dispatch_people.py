"""R-DISPATCH-NORM's people read in one statement (PostgreSQL) are exactly those the ORM reads."""
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from staff.choices import RoomCode
from staff.selectors import duty_engineer
from tests import factories as f
from tickets import notify

AT = datetime.fromisoformat("2026-11-30T10:00:00+08:00")


def _orm(room_ids) -> tuple:
    duty = duty_engineer(RoomCode.SERVICE_SUPPORT, AT)
    support = [] if duty else notify.support_room_and_manager()
    return (sorted(u.pk for u in notify.room_people(room_ids)), duty.pk if duty else None,
            sorted(u.pk for u in support))


def _one_query(room_ids) -> tuple:
    with CaptureQueriesContext(connection) as ctx:
        found = notify.people_of_normal_dispatch(room_ids, AT)
    assert len(ctx.captured_queries) == 1
    return (sorted(u.pk for u in found.room_people), found.duty_engineer.pk if found.duty_engineer else None,
            sorted(u.pk for u in found.support))


@pytest.mark.django_db
def test_normal_dispatch_people_in_one_query_equal_the_orm_ones():
    """R-DISPATCH-NORM: the lead room's active members; with nobody on duty the support room's active members and
    the support managers (not the centre leader); with a shift covering the moment, the latest-starting shift's
    engineer and nobody else from the support room."""
    lead = f.room(RoomCode.TRANSPORT)
    members = [f.room_engineer(RoomCode.TRANSPORT) for _ in range(3)]
    f.room_engineer(RoomCode.TRANSPORT, is_active=False)
    f.room_engineer(RoomCode.DATACOM)
    support = [f.support_engineer() for _ in range(2)]
    manager = f.support_manager()
    f.centre_leader()

    nobody = _one_query([lead.pk])
    assert nobody == _orm([lead.pk])
    assert nobody[0] == sorted(u.pk for u in members)
    assert nobody[1] is None
    assert nobody[2] == sorted(u.pk for u in [*support, manager])

    f.DutyShiftFactory(user=support[0], room=f.room(RoomCode.SERVICE_SUPPORT), starts_at=AT - timedelta(hours=8),
                       ends_at=AT + timedelta(hours=1))
    f.DutyShiftFactory(user=support[1], room=f.room(RoomCode.SERVICE_SUPPORT), starts_at=AT - timedelta(hours=2),
                       ends_at=AT + timedelta(hours=6))
    f.DutyShiftFactory(user=manager, room=f.room(RoomCode.SERVICE_SUPPORT), starts_at=AT + timedelta(minutes=1),
                       ends_at=AT + timedelta(hours=9))  # not yet started
    on_duty = _one_query([lead.pk])
    assert on_duty == _orm([lead.pk])
    assert on_duty == (sorted(u.pk for u in members), support[1].pk, [])
