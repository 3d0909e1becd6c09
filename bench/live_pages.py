#!/usr/bin/env python
"""What keeping pages live costs: the server time of each polled part, and the load of 50 open pages.

    DATABASE_URL=postgres://…/somedb .venv/bin/python bench/live_pages.py [--tickets 3000]

Fills the (empty or already filled) database with ``generate_load`` when it holds fewer tickets than asked,
then times each part the pages poll (in-process Django test client, median of 20) and prints, per page kind,
the requests per second and the share of one CPU core that 50 open pages of that kind cost.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("DEBUG", "0")

# polled parts per page kind: (path template, seconds between polls)
PAGES = {
    "console": [("/console/queue/", 10), ("/console/queue/?part=triage", 10), ("/console/queue/?part=phone", 10),
                ("/console/queue/?part=views", 10)],
    "dashboard": [("/dashboard/", 30), ("/dashboard/?part=explanations", 30)],
    "phone": [("/m/", 30)],
    "ticket": [("/tickets/{pk}/?part=changes&seen=1&drawn=2026-01-01T00:00:00%2B08:00", 10),
               ("/tickets/{pk}/?part=deadlines", 15), ("/tickets/{pk}/?part=timeline", 15)],
}
OPEN_PAGES = 50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=3000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False
    call_command("migrate", verbosity=0)
    from tests import factories as f
    from tickets.choices import OPEN_STATES
    from tickets.models import FaultTicket

    have = FaultTicket.objects.count()
    if have < args.tickets:
        call_command("generate_load", tickets=args.tickets - have, force=True, verbosity=0)
    people = {
        "console": f.monitoring_operator(username="bench-op") if not _exists("bench-op") else _user("bench-op"),
        "dashboard": f.support_manager(username="bench-mgr") if not _exists("bench-mgr") else _user("bench-mgr"),
        "phone": (f.room_engineer("transport", username="bench-eng") if not _exists("bench-eng")
                  else _user("bench-eng")),
    }
    people["ticket"] = people["console"]
    ticket = FaultTicket.objects.filter(state__in=OPEN_STATES).order_by("pk").first()
    print(f"tickets {FaultTicket.objects.count()} open {FaultTicket.objects.filter(state__in=OPEN_STATES).count()}")
    for kind, parts in PAGES.items():
        client = Client(HTTP_HX_REQUEST="true")
        client.force_login(people[kind])
        per_second = 0.0
        cpu = 0.0
        cpu_unchanged = 0.0
        for path, every in parts:
            url = path.format(pk=ticket.pk)
            full = _median(client, url, {}, 200)
            etag = client.get(url).get("ETag")
            same = _median(client, url, {"HTTP_IF_NONE_MATCH": etag}, 304) if etag else full
            print(f"  {kind:10s} {url[:60]:60s} {full:7.1f} ms, unchanged {same:6.1f} ms, every {every} s")
            per_second += OPEN_PAGES / every
            cpu += OPEN_PAGES / every * full / 1000
            cpu_unchanged += OPEN_PAGES / every * same / 1000
        print(f"{kind}: {OPEN_PAGES} open pages = {per_second:.1f} requests/s, {cpu * 100:.0f}% of one core when "
              f"every poll draws the part, {cpu_unchanged * 100:.0f}% when nothing changed (304)")


def _median(client, url: str, headers: dict, status: int) -> float:
    times = []
    for _ in range(20):
        start = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (status, 200), (url, response.status_code)  # 200: the minute turned
    return statistics.median(times)


def _exists(username: str) -> bool:
    from staff.models import User

    return User.objects.filter(username=username).exists()


def _user(username: str):
    from staff.models import User

    return User.objects.get(username=username)


if __name__ == "__main__":
    main()
