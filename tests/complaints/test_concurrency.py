"""Simultaneous posts of one complaint_id meet at the unique constraint: one complaint."""
import threading

import pytest
import time_machine
from django.db import connection

from complaints.models import Complaint, ComplaintBreach
from complaints.services.deadlines import sweep_complaint_deadlines
from staff.tokens import issue_client
from tests import factories as f
from tests.api.conftest import token_client

from .conftest import at, complaint_body, receive


def _together(n, work):
    barrier = threading.Barrier(n)
    answers = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=10)
            answers[i] = work(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_posts_of_one_complaint_id_make_one_complaint():
    """R-CMP-FLOW: idempotent on complaint_id under concurrency; exactly one 201."""
    with time_machine.travel(at(2026, 11, 24, 10, 30), tick=True):
        customer = f.CustomerFactory(tier="gold")
        _, token = issue_client(name="kf-race", scopes=["complaints:write", "complaints:read"])
        body = complaint_body(customer.code)
        answers = _together(10, lambda i: token_client(token).post("/api/v1/complaints/", body, format="json"))
    assert sorted(a.status_code for a in answers) == [200] * 9 + [201], [a.content for a in answers]
    assert len({a.json()["complaint"]["id"] for a in answers}) == 1
    assert Complaint.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_record_each_breach_once():
    """R-CMP-LIMITS: two sweeps racing over the same due deadlines record each breach once."""
    customer = f.CustomerFactory(tier="gold")
    for _ in range(5):
        receive(customer, received_at=at(2026, 11, 24, 10, 5))
    with time_machine.travel(at(2026, 11, 24, 12, 30), tick=True):
        _together(3, lambda i: sweep_complaint_deadlines())
    assert ComplaintBreach.objects.count() == 5
    assert set(ComplaintBreach.objects.values_list("stage", flat=True)) == {"sorting"}
