"""Rate limits (429 with Retry-After), a Content-Security-Policy the pages pass, and
/health/ details only for staff or the health token."""
import re
import uuid

import pytest
from django.test import Client

from tests import factories as f
from tests.api.conftest import noc_client, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_rates(settings, frozen_clock):
    """Small rates, on a frozen clock: the limits count in windows of a minute, and a run must not straddle one."""
    settings.API_THROTTLE_RATES = {"client": "5/min", "address": "8/min", "bad_token": "3/min", "alarms": "12/min"}
    return frozen_clock


def test_a_client_over_its_rate_gets_429_with_retry_after(small_rates):
    noc = noc_client()
    answers = [noc.get("/api/v1/tickets/").status_code for _ in range(6)]
    assert answers[:5] == [200] * 5 and answers[5] == 429
    refused = noc.get("/api/v1/tickets/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


@pytest.fixture
def redis_cache(settings):
    """The production cache backend (``supportdesk.core.cache.RedisCache``) on the suite's Redis, keys of this test
    only."""
    settings.CACHES = {"default": {"BACKEND": "supportdesk.core.cache.RedisCache",
                                   "LOCATION": settings.CELERY_BROKER_URL, "KEY_PREFIX": f"t-{uuid.uuid4().hex}"}}


def test_on_redis_a_client_over_its_rate_gets_429_and_the_counter_expires(small_rates, redis_cache):
    """The Redis backend reads, decides and counts in one script (``sliding_count``): same answers as any cache,
    and the window's counter is an integer that expires on its own."""
    from django.core.cache import cache

    noc = noc_client()
    answers = [noc.get("/api/v1/tickets/").status_code for _ in range(6)]
    assert answers[:5] == [200] * 5 and answers[5] == 429
    keys = [k for k in cache._cache.get_client().keys(f"{cache.key_prefix}:*") if b"throttle_client" in k]
    assert len(keys) == 1
    client = cache._cache.get_client()
    assert int(client.get(keys[0])) == 5 and 0 < client.ttl(keys[0]) <= 121
    client.delete(*client.keys(f"{cache.key_prefix}:*"))


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_the_limit_slides_the_last_minute_still_counts_as_it_passes(small_rates, backend, request):
    """The last window counts by the share of it still inside the sliding minute: five requests at the end of one
    minute leave room for two more 20 s into the next (5 × 2/3 = 3.3 of 5), not for a fresh five; at 50 s the
    last minute has almost passed and another fits."""
    if backend == "redis":
        request.getfixturevalue("redis_cache")
    noc = noc_client()
    small_rates.move_to("2026-11-25 14:00:50+08:00")
    assert [noc.get("/api/v1/tickets/").status_code for _ in range(6)] == [200] * 5 + [429]
    small_rates.move_to("2026-11-25 14:01:20+08:00")
    answers = [noc.get("/api/v1/tickets/").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    refused = noc.get("/api/v1/tickets/")
    # 3.33 + 2 ≥ 5 until the last minute's weight falls below 3/5: at 14:01:24.
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 5
    small_rates.move_to("2026-11-25 14:01:50+08:00")
    assert noc.get("/api/v1/tickets/").status_code == 200


def test_alarms_have_their_own_limit_and_leave_the_client_s_limit_alone(small_rates):
    """An alarm storm is not held to the limit for everything else (5/min here): the NOC client's alarms count
    against the alarms' own limit (12/min), and its reads still have their full five."""
    from tests.api.conftest import alarm_body

    circuit = f.CircuitFactory()
    noc = noc_client(scopes=["alarms:write", "tickets:read"])
    answers = [noc.post("/api/v1/alarms/", alarm_body(circuit.circuit_id), format="json").status_code
               for _ in range(13)]
    assert answers[0] == 201 and answers[1:12] == [200] * 11 and answers[12] == 429
    assert [noc.get("/api/v1/tickets/").status_code for _ in range(6)] == [200] * 5 + [429]


def test_one_address_over_its_rate_gets_429_whoever_it_claims_to_be(small_rates):
    clients = [noc_client(f"nms-{i}") for i in range(3)]
    answers = [clients[i % 3].get("/api/v1/tickets/").status_code for i in range(9)]
    assert answers.count(429) >= 1 and answers[:8] == [200] * 8


def test_a_forged_forwarded_for_header_does_not_escape_the_address_limit(small_rates):
    answers = [noc_client(f"nms-x{i}").get("/api/v1/tickets/", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
               for i in range(9)]
    assert answers[8] == 429


def test_a_stream_of_bad_tokens_is_throttled(small_rates):
    answers = [token_client(f"bad-token-{i}").get("/api/v1/tickets/").status_code for i in range(5)]
    assert answers[:3] == [401, 401, 401] and answers[3:] == [429, 429]
    assert "Retry-After" in token_client("another").get("/api/v1/tickets/")


PAGES = ["/console/", "/dashboard/", "/broadcasts/", "/visits/", "/visits/agenda/", "/accounts/login/"]


def test_every_page_carries_a_csp_and_has_nothing_inline_it_would_block(client):
    ticket_user = f.centre_leader()
    ticket_user.groups.add(*f.monitoring_operator().groups.all(), *f.support_engineer().groups.all())
    f.CircuitFactory(customer__tier="gold")
    for url in PAGES:
        client.force_login(ticket_user) if url != "/accounts/login/" else client.logout()
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe" not in policy, policy
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url  # no inline script
        assert not re.search(r"<style\b", html), url
        assert not re.search(r"\sstyle=\"", html), url
        assert not re.search(r"\son[a-z]+=\"", html), url  # no inline event handlers
        assert "hx-on" not in html and "[" not in re.findall(r'hx-trigger="([^"]*)"', html).__str__().strip("[]'"), url


@pytest.mark.django_db(transaction=True)  # the checks run on their own connections
def test_health_details_only_for_staff_or_the_health_token(settings):
    settings.HEALTH_TOKEN = "s3cret"
    anonymous = Client().get("/health/?format=json")
    assert set(anonymous.json()) == {"status"}
    with_token = Client().get("/health/?format=json", HTTP_X_HEALTH_TOKEN="s3cret")
    assert len(with_token.json()) > 1
    wrong = Client().get("/health/?format=json", HTTP_X_HEALTH_TOKEN="guess")
    assert set(wrong.json()) == {"status"}
    staff = Client()
    staff.force_login(f.UserFactory(is_staff=True))
    assert len(staff.get("/health/?format=json").json()) > 1
    assert anonymous.status_code == with_token.status_code
