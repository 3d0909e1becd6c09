#!/usr/bin/env python
"""Performance figures of supportdesk, one per line: ``name value unit``, then a ``summary`` line of the goals met.

    .venv/bin/python bench/run.py            # 10k and 1M tickets, outages of 1,000 and 5,000 deadlines (≈ 8 min)
    .venv/bin/python bench/run.py --quick    # 10k and 30k tickets, short load phases (< 5 min)

Everything runs against a database of its own (``supportdesk_bench``, created and migrated here; another with
``BENCH_DATABASE_NAME``) and Redis db 14 as the broker (``BENCH_BROKER_URL``), so no other data is touched. The
headline figures are ratios of two things measured in the same run, on the same machine:

- ``ingest_vs_peer`` / ``ingest_vs_raw``: new alarms per second through ``POST /api/v1/alarms/`` over the peer's
  ticket creates per second (django-helpdesk over its DRF API, in a virtualenv of its own; a DRF ``ModelViewSet``
  when it cannot be installed) and over an alarm's minimal inserts in raw SQL, all under gunicorn with the same
  workers, driven by wrk over loopback; ``storm_alarms_per_s``: 10,000 alarms on 100 circuits.
- ``sweep_queries``, ``lateness_max_s_1000`` / ``_5000``: the deadline sweep's queries per due deadline, and the
  lateness of escalations when 1,000 (5,000) clocks fall due at once with a worker and beat running.
- ``*_growth`` of the pages and the sweep: the large database over the small one.

docs/performance.md lists every figure and its goal.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "supportdesk_bench")
PG = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
OPEN = ("new", "dispatched", "lead_handling", "joint_handling", "restored")

FIGURES: dict[str, float] = {}


def figure(name: str, value, unit: str) -> None:
    if isinstance(value, float):
        value = round(value, 3 if abs(value) < 10 else 1)
    FIGURES[name] = value
    print(f"{name} {value} {unit}", flush=True)


def note(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


# --------------------------------------------------------------------------- environment
def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "CELERY_BROKER_URL": BROKER,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": env.get("SECRET_KEY") or "bench-secret-key-not-for-production-0123456789abcdef",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": "60",
        # No notification worker runs here: keep the sweep from re-sending the backlog on every pass.
        "NOTIFY_REQUEUE_GRACE_SECONDS": "86400",
        "SUPPORTDESK_VAR_DIR": str(ROOT / "var" / "bench"),
        # The bench measures throughput from one address and one client: the rate limits still run (their cost is
        # part of a request's) but never answer 429. A one-second window: DRF keeps every request of the window in
        # the cache and re-writes that list on each request, so a one-minute window would grow the cost with load.
        "API_RATE_CLIENT": "1000000/s",
        "API_RATE_ADDRESS": "1000000/s",
        "API_RATE_ALARMS": "1000000/s",
    })
    return env


def manage(*args: str, capture: bool = False) -> str:
    proc = subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=bench_env(), cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return proc.stdout


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    manage("migrate", "-v0")


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER).flushdb()


def generate(n: int, *, reset: bool) -> float:
    t0 = time.monotonic()
    out = manage("generate_load", "--tickets", str(n), *(["--reset"] if reset else []))
    note(out.strip().splitlines()[-2] if out.strip() else "")
    return time.monotonic() - t0


# --------------------------------------------------------------------------- in-process measurements
def setup_django() -> None:
    os.environ.update(bench_env())
    import django

    django.setup()


def timed(fn, repeat: int = 3):
    """(median ms, queries of the last run, result of the last run)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    times, queries, result = [], 0, None
    for _ in range(repeat):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            result = fn()
            times.append((time.perf_counter() - t0) * 1000)
        queries = len(ctx.captured_queries)
    return statistics.median(times), queries, result


def measure_pages(tag: str, *, console: bool = True) -> None:
    """The monitoring queue, the console, the manager's dashboard and the ticket list API, as people load them."""
    from django.test import Client

    from staff.models import User

    operator = Client()
    operator.force_login(User.objects.get(username="loadmon1"))
    manager = Client()
    manager.force_login(User.objects.get(username="loadmgr1"))
    pages = [
        ("queue", operator, "/console/queue/"),
        *([("console", operator, "/console/")] if console else []),
        ("dashboard", manager, "/dashboard/"),
        ("ticket_list", operator, "/api/v1/tickets/"),
    ]
    for name, client, url in pages:
        t0 = time.perf_counter()
        client.get(url)  # warm (and a slow page is timed once only)
        repeat = 3 if time.perf_counter() - t0 < 1.0 else 1
        ms, queries, response = timed(lambda c=client, u=url: c.get(u), repeat=repeat)
        if response.status_code != 200:
            note(f"{url} answered {response.status_code}")
        figure(f"{name}_ms_{tag}", ms, "ms")
        figure(f"{name}_queries_{tag}", queries, "queries")
        figure(f"{name}_kb_{tag}", len(response.content) / 1024, "KiB")


def arm_due(k: int, at) -> int:
    """Make ``k`` running joint-handling clocks of dispatched / lead-handling tickets due a minute before ``at``."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            UPDATE tickets_deadline SET due_at = %(now)s - interval '1 minute'
            WHERE id IN (
                SELECT d.id FROM tickets_deadline d JOIN tickets_faultticket t ON t.id = d.ticket_id
                WHERE d.kind = 'joint_handling' AND d.met_at IS NULL AND d.breached_at IS NULL
                  AND d.cancelled_at IS NULL AND d.due_at > %(now)s AND t.state IN ('dispatched', 'lead_handling')
                ORDER BY d.due_at LIMIT %(k)s)
        """, {"now": at, "k": k})
        return cursor.rowcount


def measure_sweep(tag: str, k: int) -> dict:
    from django.utils import timezone

    from tickets.services.escalation import sweep

    # Every sweep here runs "at" the same instant: the generated clocks keep running out while we measure, and
    # an idle sweep must find nothing new.
    at = timezone.now()
    ms, queries, summary = timed(lambda: sweep(origin="bench", now=at), repeat=1)
    figure(f"sweep_natural_due_{tag}", summary.due, "deadlines")
    figure(f"sweep_natural_ms_{tag}", ms, "ms")
    idle_ms, idle_queries, summary = timed(lambda: sweep(origin="bench", now=at), repeat=3)
    figure(f"sweep_idle_ms_{tag}", idle_ms, "ms")
    figure(f"sweep_idle_queries_{tag}", idle_queries, "queries")
    armed = arm_due(k, at)
    ms, queries, summary = timed(lambda: sweep(origin="bench", now=at), repeat=1)
    figure(f"sweep_ms_{tag}", ms, "ms")
    figure(f"sweep_due_{tag}", summary.due, "deadlines")
    per_due = (queries - idle_queries) / max(summary.due, 1)
    figure(f"sweep_queries_per_due_{tag}", per_due, "queries")
    if armed != k or summary.due != armed:
        note(f"sweep at {tag}: armed {armed} of {k}, answered {summary.due}")
    return {"ms": ms, "idle_ms": idle_ms, "per_due": per_due, "due": summary.due}


def ingest_query_counts(circuit: str) -> dict[str, int]:
    """Queries of one alarm through the API (the test client, no network): a new alarm with a matched customer
    (ticket, deadlines, dispatch, rooms, phone checklist, notifications, events), a second alarm on the same
    circuit (correlated) and the first one again (duplicate). Counted as production runs (and as
    tests/bench/test_budgets.py counts): no outer transaction, so BEGIN and COMMIT are counted and no savepoint;
    the client's first use and the reference caches are warmed by an empty post first."""
    import json

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from staff.tokens import issue_client

    _, token = issue_client(name=f"bench-q-{time.time_ns()}")
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    client.post("/api/v1/alarms/", "{}", content_type="application/json")  # warm: the client's last use
    # A running worker keeps rooms, tier policies and webhook endpoints in the process (supportdesk.core.refcache).
    from customers.selectors import policy_for
    from staff.notify.api import _ENDPOINTS
    from staff.selectors import room_by_code

    for tier in ("diamond", "gold", "normal"):
        policy_for(tier)
    room_by_code("transport")
    _ENDPOINTS.get()
    first = f"BENCH-Q-{time.time_ns()}"
    counts = {}
    for name, alarm_id in (("new", first), ("correlated", f"{first}-2"), ("duplicate", first)):
        body = {"alarm_id": alarm_id, "category": "transmission", "severity": "critical", "outage": "total",
                "circuit_id": circuit, "title": "LOS", "raised_at": timezone.now().isoformat()}
        with CaptureQueriesContext(connection) as ctx:
            response = client.post("/api/v1/alarms/", json.dumps(body), content_type="application/json")
        if response.status_code not in (200, 201):
            note(f"ingest probe ({name}) answered {response.status_code}: {response.content[:200]!r}")
        counts[name] = len(ctx.captured_queries)
    return counts


def important_free_circuit() -> str:
    """A known circuit of a gold customer without an open ticket (its alarm is dispatched at once)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.circuit_id FROM tickets_circuit c JOIN tickets_customer k ON k.id = c.customer_id
            WHERE k.tier = 'gold' AND NOT EXISTS (SELECT 1 FROM tickets_faultticket t
                                                  WHERE t.circuit_ref = c.circuit_id AND t.state = ANY(%s))
            ORDER BY c.id DESC LIMIT 1""", [list(OPEN)])
        return cursor.fetchone()[0]


def free_circuits(n: int) -> list[str]:
    """Known circuits without an open ticket: a new alarm on one of them opens a ticket."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.circuit_id FROM tickets_circuit c
            WHERE NOT EXISTS (SELECT 1 FROM tickets_faultticket t
                              WHERE t.circuit_ref = c.circuit_id AND t.state = ANY(%s))
            ORDER BY c.id LIMIT %s""", [list(OPEN), n])
        return [r[0] for r in cursor.fetchall()]


# --------------------------------------------------------------------------- a regional outage
def outage_tickets(n: int, due_at) -> list[int]:
    """``n`` dispatched tickets of important customers whose joint-handling clocks all fall due at ``due_at`` (a
    fibre cut): copies of a dispatched ticket (every column, so the copy follows the schema) with their lead room
    involvement and one pending joint-handling deadline each."""
    from django.db import connection

    with connection.cursor() as cursor:
        # A dispatched important customer's ticket; failing that (the measured sweeps escalated them all), any
        # important customer's ticket, copied back to its dispatched state.
        cursor.execute("""SELECT id FROM tickets_faultticket WHERE customer_id IS NOT NULL AND important
                          AND lead_room_id IS NOT NULL ORDER BY state <> 'dispatched', id LIMIT 1""")
        template = cursor.fetchone()[0]
        dispatched = {"state": "'dispatched'", "round": "1", "version": "1", "accepted_at": "NULL",
                      "accepted_by_id": "NULL", "joint_started_at": "NULL", "joint_reason": "''",
                      "restored_at": "NULL", "resolved_at": "NULL", "closed_at": "NULL", "cancelled_at": "NULL",
                      "restore_proposed_at": "NULL", "alarm_cleared_at": "NULL", "cause_confirmed_at": "NULL",
                      "cause_category": "''", "cause_text": "''", "customer_reply": "''", "cancel_reason": "''",
                      "site_lead_id": "NULL", "recurrence_of_id": "NULL"}
        cursor.execute("""SELECT column_name FROM information_schema.columns
                          WHERE table_name = 'tickets_faultticket' AND column_name NOT IN
                          ('id', 'number', 'circuit_ref', 'circuit_id', 'occurred_at', 'created_at', 'next_due_at')
                          AND is_generated = 'NEVER'""")
        cols = [r[0] for r in cursor.fetchall()]
        run = time.time_ns() % 10**9
        cursor.execute(f"""
            INSERT INTO tickets_faultticket (number, circuit_ref, circuit_id, occurred_at, created_at, {', '.join(cols)})
            SELECT 'OUT-{run}-' || g, NULL, NULL, %(due)s - interval '2 hours', %(due)s - interval '2 hours',
                   {', '.join(dispatched.get(c, 't.' + c) for c in cols)}
            FROM tickets_faultticket t, generate_series(1, %(n)s) g WHERE t.id = %(tpl)s
            RETURNING id""", {"due": due_at, "n": n, "tpl": template})
        ids = [r[0] for r in cursor.fetchall()]
        cursor.execute("""SELECT column_name FROM information_schema.columns WHERE table_name = 'tickets_ticketroom'
                          AND column_name NOT IN ('id', 'ticket_id')""")
        room_cols = [r[0] for r in cursor.fetchall()]
        joined = {"joined_joint_at": "NULL", "must_arrive": "false", "site_kind": "''"}  # not in joint handling yet
        cursor.execute(f"""INSERT INTO tickets_ticketroom (ticket_id, {', '.join(room_cols)})
                           SELECT t.id, {', '.join(joined.get(c, 'r.' + c) for c in room_cols)}
                           FROM unnest(%(ids)s::bigint[]) t(id), tickets_ticketroom r
                           WHERE r.ticket_id = %(tpl)s""", {"ids": ids, "tpl": template})
        cursor.execute("""INSERT INTO tickets_deadline (ticket_id, kind, round, sequence, due_at)
                          SELECT t.id, 'joint_handling', 1, 0, %(due)s FROM unnest(%(ids)s::bigint[]) t(id)""",
                       {"ids": ids, "due": due_at})
    return ids


def start_celery(tmp: Path) -> list[subprocess.Popen]:
    """A worker on every queue the settings route to, and beat (its own schedule file)."""
    from django.conf import settings

    queues = {getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", None) or "celery"}
    queues |= {route["queue"] for route in getattr(settings, "CELERY_TASK_ROUTES", {}).values() if "queue" in route}
    # Notifications go out from a pool of their own in production (and to nowhere here): not this worker.
    queues.discard("deliveries")
    celery = str(Path(PYTHON).parent / "celery")
    env = bench_env()
    env["NOTIFY_REQUEUE_GRACE_SECONDS"] = "86400"
    worker = subprocess.Popen([celery, "-A", "supportdesk", "worker", "-Q", ",".join(sorted(queues)),
                               "--concurrency", "2", "--loglevel", "WARNING", "--hostname", f"bench{time.time_ns()}@%h"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    beat = subprocess.Popen([celery, "-A", "supportdesk", "beat", "--loglevel", "WARNING",
                             "--schedule", str(tmp / "beat-schedule")], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return [worker, beat]


def measure_lateness(sizes: list[int], *, timeout: float = 600.0) -> None:
    """With a worker and beat running, ``n`` joint-handling clocks fall due at one instant; the bench polls the
    escalations and takes, for each ticket, the time its R-ESC-1 escalation is first seen committed minus the due
    time (resolution 0.25 s)."""
    import tempfile

    from django.db import connection
    from django.utils import timezone

    with tempfile.TemporaryDirectory() as tmp:
        procs = start_celery(Path(tmp))
        try:
            time.sleep(8)  # the worker and beat are up, beat has sent its first sweep
            for n in sizes:
                due = timezone.now() + timedelta(seconds=20)
                ids = outage_tickets(n, due)
                seen: dict[int, float] = {}
                started = time.time()
                while len(seen) < n and time.time() - started < timeout:
                    with connection.cursor() as cursor:
                        cursor.execute("""SELECT ticket_id FROM tickets_escalation
                                          WHERE kind = 'joint_handling' AND ticket_id = ANY(%s)""", [ids])
                        now = time.time()
                        for (tid,) in cursor.fetchall():
                            seen.setdefault(tid, now)
                    time.sleep(0.25)
                lateness = sorted(at - due.timestamp() for at in seen.values())
                if len(seen) < n:
                    note(f"outage {n}: only {len(seen)} escalated within {timeout:.0f} s")
                    lateness += [float("inf")] * (n - len(seen))
                figure(f"lateness_max_s_{n}", lateness[-1], "s")
                figure(f"lateness_p50_s_{n}", lateness[len(lateness) // 2], "s")
                figure(f"escalated_{n}", len(seen), "tickets")
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


# --------------------------------------------------------------------------- the HTTP part
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [GUNICORN, "supportdesk.wsgi:application", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "--timeout", "120", "--preload"],
        env=bench_env(), cwd=ROOT,
    )
    import http.client

    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/bench/ping/")
            conn.getresponse().read()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def fact(name: str, text: str) -> None:
    """A line that names rather than measures (``peer_kind helpdesk-2.6.1``)."""
    FIGURES[name] = text
    print(f"{name} {text}", flush=True)


def failed_requests(result) -> int:
    """Requests without a 2xx answer: non-2xx statuses plus requests that got no answer."""
    return result.errors + sum(v for st, v in result.statuses.items() if not 200 <= st < 300)


def load_phase(driver, plan, name: str, *, connections: int = 8, unit: str = "req/s") -> float:
    """One load phase: ``{name}_per_s`` (2xx answers per second), p50 and p99, and every non-2xx status said."""
    result = driver.drive(plan, connections=connections)
    failed = failed_requests(result)
    if failed or result.extra:
        note(f"{name} ({plan.path}): {failed} failed, statuses {result.statuses}, no answer {result.errors}"
             + (f", {result.extra} closing GETs" if result.extra else ""))
    rate = result.ok / result.wall_s
    figure(f"{name}_per_s", rate, unit)
    figure(f"{name}_p50_ms", result.percentile(50), "ms")
    figure(f"{name}_p99_ms", result.percentile(99), "ms")
    figure(f"{name}_failed", failed, "requests")
    return rate


def measure_peer(driver, *, duration: float, workers: int, raised_at: str, run: int, peer: str) -> None:
    """``peer_per_s``: django-helpdesk's ticket create over its DRF API (own virtualenv, database and gunicorn with
    our worker count, same driver and concurrency); ``drf_peer_per_s``: the DRF ModelViewSet of bench/urls.py in
    our gunicorn, which stands in as ``peer_per_s`` when helpdesk cannot be installed."""
    from bench import helpdesk
    from bench.load import Plan

    hd = None
    if peer == "helpdesk":
        try:
            hd = helpdesk.prepare(PG)
        except RuntimeError as exc:  # no network, no pip: the fallback peer, said so
            note(f"django-helpdesk unavailable ({exc}); the peer is the DRF ModelViewSet")
    if hd is None:
        return
    port = free_port()
    try:
        proc = helpdesk.start(hd, PG, workers=workers, port=port)
    except RuntimeError as exc:
        note(f"django-helpdesk did not start ({exc}); the peer is the DRF ModelViewSet")
        return
    try:
        plan = Plan(host="127.0.0.1", port=port, token=hd.token, path=helpdesk.PATH, duration=1.0, kind="alarm",
                    circuits=[f"HD-{run}"], prefix=f"HD-{run}", raised_at=raised_at, template=helpdesk.template(hd.queue))
        driver.drive(plan)  # warm the workers
        plan.duration = duration
        fact("peer_kind", hd.kind)
        load_phase(driver, plan, "peer")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def measure_http(*, quick: bool, workers: int, driver_kind: str = "wrk", peer: str = "helpdesk") -> None:
    from django.utils import timezone

    from bench.load import Plan, alarm_body
    from bench.wrk import Driver
    from tickets.models import Alarm, FaultTicket

    duration = 3.0 if quick else 20.0
    storm_n = 500 if quick else 10_000
    driver = Driver(prefer_wrk=driver_kind == "wrk")
    fact("load_driver", driver.kind)
    token = manage("issue_noc_token", f"bench-{time.time_ns()}").strip().splitlines()[-1]
    counts = ingest_query_counts(important_free_circuit())
    figure("ingest_queries", counts["new"], "queries")
    figure("ingest_correlated_queries", counts["correlated"], "queries")
    figure("ingest_duplicate_queries", counts["duplicate"], "queries")
    circuits = free_circuits(20_000)
    storm_circuits, ingest_circuits = circuits[:100], circuits[100:]
    raised_at = (timezone.now() - timedelta(minutes=1)).isoformat()
    run = time.time_ns()
    proc, port = start_gunicorn(workers)
    try:
        base = Plan(host="127.0.0.1", port=port, token=token, path="/api/v1/bench/ping/", duration=1.0)
        driver.drive(base)  # warm the workers
        base.duration = duration
        baseline_rate = load_phase(driver, base, "baseline")

        # The DRF ModelViewSet (a ticket and two related rows; the peer when helpdesk is not there) and the raw-SQL
        # ceiling.
        for name, path in (("drf_peer", "/api/v1/bench/peer/"), ("raw", "/api/v1/bench/raw/")):
            load_phase(driver, Plan(host="127.0.0.1", port=port, token=token, path=path, duration=duration,
                                    kind="alarm", circuits=[f"{name.upper()}-{run}"], prefix=f"{name.upper()}-{run}",
                                    raised_at=raised_at), name)
        # helpdesk in its own gunicorn (ours idles meanwhile), right before the alarms it is compared with
        measure_peer(driver, duration=duration, workers=workers, raised_at=raised_at, run=run, peer=peer)
        if "peer_kind" not in FIGURES:
            fact("peer_kind", "drf-modelviewset")
            figure("peer_per_s", FIGURES["drf_peer_per_s"], "req/s")
        before = FaultTicket.objects.count()
        rate = load_phase(driver, Plan(host="127.0.0.1", port=port, token=token, path="/api/v1/alarms/",
                                       duration=duration, kind="alarm", circuits=ingest_circuits,
                                       prefix=f"BENCH-{run}", raised_at=raised_at), "ingest", unit="alarms/s")
        figure("ingest_alarms_per_s", rate, "alarms/s")
        figure("ingest_tickets_created", FaultTicket.objects.count() - before, "tickets")
        figure("ingest_ratio", rate / baseline_rate, "ratio")
        figure("ingest_vs_peer", rate / FIGURES["peer_per_s"], "ratio")
        figure("ingest_vs_raw", rate / FIGURES["raw_per_s"], "ratio")

        storm_start = timezone.now()
        bodies = [alarm_body(f"STORM-{run}-{j}", storm_circuits[j % 100], raised_at, j) for j in range(storm_n)]
        storm = driver.drive(Plan(host="127.0.0.1", port=port, token=token, path="/api/v1/alarms/", kind="bodies",
                                  bodies=bodies), connections=16)
        if failed_requests(storm) or storm.extra:
            note(f"storm: statuses {storm.statuses}, no answer {storm.errors}, closing GETs {storm.extra}")
        figure("storm_alarms_per_s", storm.ok / storm.wall_s, "alarms/s")
        figure("storm_alarms_sent", storm_n, "alarms")
        figure("storm_failed", failed_requests(storm), "requests")
        figure("storm_alarms_stored", Alarm.objects.filter(alarm_id__startswith=f"STORM-{run}-").count(), "alarms")
        figure("storm_tickets_created", FaultTicket.objects.filter(circuit_ref__in=storm_circuits,
                                                                   created_at__gte=storm_start).count(), "tickets")
        figure("storm_p50_ms", storm.percentile(50), "ms")
        figure("storm_p99_ms", storm.percentile(99), "ms")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --------------------------------------------------------------------------- quality (R-QUAL-*)
QUALITY_CODES = ("latency_ms", "jitter_ms", "loss_pct", "util_in_pct", "util_out_pct", "errored_seconds")
# A healthy line (below every default threshold of SPEC §6).
NORMAL = {"latency_ms": 20.0, "jitter_ms": 3.0, "loss_pct": 0.1, "util_in_pct": 40.0, "util_out_pct": 30.0,
          "errored_seconds": 0.0}


def quality_circuits(n: int, *, prefix: str = "QB") -> list:
    """``n`` data-line circuits of their own customers (a third diamond), created once and reused."""
    from customers.models import Circuit, Customer

    have = list(Circuit.objects.filter(circuit_id__startswith=f"{prefix}-").order_by("id"))
    if len(have) >= n:
        return have[:n]
    tiers = ("diamond", "gold", "normal")
    start = len(have)
    customers = Customer.objects.bulk_create(
        [Customer(code=f"{prefix}C{i:06d}", name=f"质量基准客户{i}", tier=tiers[i % 3]) for i in range(start, n)],
        ignore_conflicts=True)
    by_code = dict(Customer.objects.filter(code__startswith=f"{prefix}C").values_list("code", "pk"))
    Circuit.objects.bulk_create(
        [Circuit(circuit_id=f"{prefix}-{i:06d}", customer_id=by_code[f"{prefix}C{i:06d}"], service_type="data_line")
         for i in range(start, n)], ignore_conflicts=True)
    del customers
    return list(Circuit.objects.filter(circuit_id__startswith=f"{prefix}-").order_by("id"))[:n]


def quality_reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE quality_sample, quality_rollup15m, quality_rollup1h, quality_watch, quality_watermark, "
                       "quality_qualitywarning RESTART IDENTITY")


def copy_samples(rows, table: str = "quality_sample") -> float:
    """Raw psycopg ``COPY`` of ``(circuit_pk, indicator_pk, at, value)`` rows; answers seconds."""
    from django.db import connection, transaction

    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} (circuit_id, indicator_id, at, value) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return time.perf_counter() - t0


def measure_quality_ingest(*, quick: bool) -> None:
    """``quality_ingest_vs_copy``: samples per second through ``POST /api/v1/quality/samples/`` (gunicorn, one warm
    worker, 10,000 a request from another process) over a raw psycopg COPY (text format, one COPY) of the same rows
    into a table with the same indexes. The machine is shared, so three rounds alternate COPY and API, each round's
    ratio is taken against the mean of the COPY before and after it, and the median round is the figure."""
    import http.client
    import json

    from django.db import connection
    from django.utils import timezone

    from quality.models import Indicator

    quality_reset()
    n_circuits = 1000
    intervals = 5 if quick else 17
    circuits = quality_circuits(n_circuits)
    indicators = dict(Indicator.objects.filter(code__in=QUALITY_CODES).values_list("code", "pk"))
    token = manage("issue_noc_token", f"bench-q-{time.time_ns()}", "--scope", "quality:write").strip().splitlines()[-1]

    def make(base):
        samples = []
        for k in range(intervals):
            at = base + timedelta(minutes=5 * k)
            iso = at.isoformat()
            for c in circuits:
                for code in QUALITY_CODES:
                    samples.append((c.circuit_id, c.pk, code, indicators[code], at, iso, NORMAL[code] + (k % 7) / 10))
        bodies = [json.dumps({"samples": [{"circuit_id": s[0], "indicator": s[2], "at": s[5], "value": s[6]}
                                          for s in samples[i:i + 10_000]]}).encode()
                  for i in range(0, len(samples), 10_000)]
        return samples, bodies

    def copy_once(samples) -> float:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_quality_copy")
            cursor.execute("CREATE TABLE bench_quality_copy (LIKE quality_sample INCLUDING ALL)")
        seconds = copy_samples([(s[1], s[3], s[4], s[6]) for s in samples], table="bench_quality_copy")
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_quality_copy")
        return seconds

    start = (timezone.now() - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    warm, _ = make(start - timedelta(days=1))
    proc, port = start_gunicorn(1)  # one client sending one batch after the other: one warm worker serves it
    ratios, api_rates, copy_rates = [], [], []
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        body = json.dumps({"samples": [{"circuit_id": s[0], "indicator": s[2], "at": s[5], "value": s[6]}
                                       for s in warm[:10_000]]}).encode()
        conn.request("POST", "/api/v1/quality/samples/", body=body, headers=headers)
        conn.getresponse().read()  # warm: imports, the connection
        for round_ in range(3):
            samples, bodies = make(start + timedelta(days=round_))
            copy_before = copy_once(samples)
            accepted = 0
            t0 = time.perf_counter()
            for body in bodies:
                conn.request("POST", "/api/v1/quality/samples/", body=body, headers=headers)
                response = conn.getresponse()
                answer = json.loads(response.read())
                if response.status != 202 or answer.get("rejected"):
                    note(f"samples answered {response.status}: {str(answer)[:200]}")
                accepted += answer.get("accepted", 0)
            api_s = time.perf_counter() - t0
            copy_after = copy_once(samples)
            api_rates.append(accepted / api_s)
            copy_rates.append(len(samples) / ((copy_before + copy_after) / 2))
            ratios.append(api_rates[-1] / copy_rates[-1])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    middle = sorted(range(3), key=lambda i: ratios[i])[1]
    figure("quality_samples", len(samples), "samples")
    figure("quality_ingest_per_s", api_rates[middle], "samples/s")
    figure("quality_copy_per_s", copy_rates[middle], "samples/s")
    figure("quality_ingest_vs_copy_rounds", "/".join(f"{r:.3f}" for r in ratios), "ratios")
    figure("quality_ingest_vs_copy", ratios[middle], "ratio")


def measure_quality_eval(*, quick: bool) -> None:
    """``quality_eval_s``: the slowest of three 5-minute cycles of 1,000 circuits × 6 indicators (roll-up,
    thresholds, fluctuation baselines from four weeks of hourly history, 1 % of the series stepping up — their third
    abnormal interval raises warnings and opens tickets for the important customers): cycle 1 computes every baseline
    and creates the watches, cycle 2 (same hour) uses the cached baselines, cycle 3 (the next hour) recomputes and
    rewrites every baseline. ``quality_eval_cycle_s_<n>`` are the three."""
    from django.db import connection
    from django.utils import timezone

    from quality.models import Indicator, Watermark
    from quality.services import evaluate

    quality_reset()
    n_circuits = 1000
    circuits = quality_circuits(n_circuits)
    indicators = dict(Indicator.objects.filter(code__in=QUALITY_CODES).values_list("code", "pk"))
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    # Hourly history the fluctuation baseline reads: the same hours of the week ±1 h in the four previous weeks.
    buckets = [hour - timedelta(days=7 * w) + timedelta(hours=h) for w in range(1, 5) for h in (-1, 0, 1, 2)]
    with connection.cursor() as cursor, cursor.cursor.copy(
            "COPY quality_rollup1h (circuit_id, indicator_id, bucket, count, total, total_sq, minimum, maximum) "
            "FROM STDIN") as copy:
        for c in circuits:
            for code in QUALITY_CODES:
                mean = NORMAL[code]
                for b in buckets:
                    copy.write_row((c.pk, indicators[code], b, 12, 12 * mean, 12 * (mean * mean + 1.0), mean - 2, mean + 2))
    Watermark.objects.update_or_create(name="rollup", defaults={"last_sample_id": 0})
    Watermark.objects.update_or_create(name="evaluate", defaults={"last_sample_id": 0})

    def cycle(at, k):
        rows = []
        for i, c in enumerate(circuits):
            for code in QUALITY_CODES:
                stepped = i % 100 == 0 and code == "latency_ms"
                rows.append((c.pk, indicators[code], at, 60.0 if stepped else NORMAL[code] + 0.1 * (k % 3)))
        copy_samples(rows)

    times = []
    for k, at in enumerate((hour + timedelta(minutes=50), hour + timedelta(minutes=55), hour + timedelta(minutes=60))):
        cycle(at, k)
        t0 = time.perf_counter()
        summary = evaluate(now=at + timedelta(minutes=1))
        times.append(time.perf_counter() - t0)
        figure(f"quality_eval_cycle_s_{k + 1}", times[-1], "s")
        note(summary.line())
    figure("quality_eval_series", summary.series, "series")
    figure("quality_eval_s", max(times), "s")


def measure_quality_chart(*, quick: bool) -> None:
    """``quality_chart_ms_*``: the circuit page with a 30-day 5-minute chart of one indicator (8,640 points) when
    the sample table holds 10× and 100× that circuit's 30 days (all six indicators) — growth should stay flat."""
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from quality.models import Indicator
    from staff.models import User

    quality_reset()
    sizes = (10, 30) if quick else (10, 100)
    circuits = quality_circuits(max(sizes), prefix="QC")
    indicators = list(Indicator.objects.filter(code__in=QUALITY_CODES).values_list("pk", flat=True))
    end = timezone.now().replace(second=0, microsecond=0, minute=0)
    start = end - timedelta(days=30)
    intervals = 30 * 288
    user = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("bench-quality", password="x")
    client = Client()
    client.force_login(user)
    target = circuits[0]
    url = (f"/quality/circuits/{target.circuit_id}/?indicator=latency_ms&g=5m"
           f"&from={timezone.localtime(start):%Y-%m-%dT%H:%M}&to={timezone.localtime(end):%Y-%m-%dT%H:%M}")
    filled = 0
    results = {}
    for size in sizes:
        def rows(cs):
            for c in cs:
                for ind in indicators:
                    for k in range(intervals):
                        yield (c.pk, ind, start + timedelta(minutes=5 * k), 20.0 + (k % 12))
        seconds = copy_samples(rows(circuits[filled:size]))
        note(f"chart data: {size}x = {size * len(indicators) * intervals:,} samples (copied in {seconds:.0f} s)")
        filled = size
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE quality_sample")
        client.get(url)
        ms, queries, response = timed(lambda: client.get(url), repeat=11)
        if response.status_code != 200 or b'data-quality-chart' not in response.content:
            note(f"chart page answered {response.status_code}")
        figure(f"quality_chart_ms_{size}x", ms, "ms")
        figure(f"quality_chart_queries_{size}x", queries, "queries")
        results[size] = ms
    figure("quality_chart_kb", len(response.content) / 1024, "KiB")
    figure("quality_chart_growth", results[sizes[1]] / results[sizes[0]], "ratio")


def measure_quality_storage(*, quick: bool) -> None:
    """``quality_storage_*``: the same 30 days of 5-minute samples in (a) one table with the unique B-tree and a BRIN
    index on the time — what supportdesk uses, with rollup tables beside it — and (b) a table partitioned by day
    with the same unique index per partition. Load (COPY), one 5-minute cycle (INSERT … ON CONFLICT), one circuit's
    30-day read, the retention of one day (DELETE vs DROP of a partition) and the size on disk."""
    from django.db import connection
    from django.utils import timezone

    n_circuits = 20 if quick else 100
    days = 30
    end = timezone.now().replace(second=0, microsecond=0, minute=0, hour=0)
    start = end - timedelta(days=days)
    intervals = days * 288
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS qs_plain, qs_part CASCADE")
        cursor.execute("CREATE TABLE qs_plain (id bigserial PRIMARY KEY, circuit_id bigint NOT NULL, "
                       "indicator_id bigint NOT NULL, at timestamptz NOT NULL, value float8 NOT NULL, "
                       "UNIQUE (circuit_id, indicator_id, at))")
        cursor.execute("CREATE INDEX qs_plain_at_brin ON qs_plain USING brin (at)")
        cursor.execute("CREATE TABLE qs_part (id bigserial, circuit_id bigint NOT NULL, indicator_id bigint NOT NULL, "
                       "at timestamptz NOT NULL, value float8 NOT NULL, UNIQUE (circuit_id, indicator_id, at)) "
                       "PARTITION BY RANGE (at)")
        for d in range(days + 2):
            lo, hi = start + timedelta(days=d), start + timedelta(days=d + 1)
            cursor.execute(f"CREATE TABLE qs_part_{d} PARTITION OF qs_part FOR VALUES FROM (%s) TO (%s)", [lo, hi])

    def rows():
        for k in range(intervals):
            at = start + timedelta(minutes=5 * k)
            for c in range(1, n_circuits + 1):
                for ind in range(1, 7):
                    yield (c, ind, at, 20.0 + (k % 12))

    total = n_circuits * 6 * intervals
    figure("quality_storage_rows", total, "samples")
    for name in ("plain", "part"):
        seconds = copy_samples(rows(), table=f"qs_{name}")
        figure(f"quality_storage_copy_s_{name}", seconds, "s")
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE qs_{name}")
            cycle_at = end + timedelta(minutes=5)
            values = [(c, ind, cycle_at, 1.0) for c in range(1, n_circuits + 1) for ind in range(1, 7)]
            t0 = time.perf_counter()
            cursor.execute(
                f"INSERT INTO qs_{name} (circuit_id, indicator_id, at, value) "
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::float8[]) "
                "ON CONFLICT DO NOTHING",
                [[v[0] for v in values], [v[1] for v in values], [v[2] for v in values], [v[3] for v in values]])
            figure(f"quality_storage_cycle_ms_{name}", (time.perf_counter() - t0) * 1000, "ms")
            reads = []
            for _ in range(5):
                t0 = time.perf_counter()
                cursor.execute(f"SELECT at, value FROM qs_{name} WHERE circuit_id = 7 AND indicator_id = 1 "
                               "AND at >= %s AND at < %s ORDER BY at", [start, end])
                cursor.fetchall()
                reads.append((time.perf_counter() - t0) * 1000)
            figure(f"quality_storage_read_ms_{name}", statistics.median(reads), "ms")
            cursor.execute(f"SELECT pg_total_relation_size('qs_{name}')" if name == "plain" else
                           "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                           "WHERE inhparent = 'qs_part'::regclass")
            figure(f"quality_storage_mb_{name}", cursor.fetchone()[0] / 2**20, "MiB")
            t0 = time.perf_counter()
            if name == "plain":
                cursor.execute("DELETE FROM qs_plain WHERE at < %s", [start + timedelta(days=1)])
            else:
                cursor.execute("DROP TABLE qs_part_0")
            figure(f"quality_storage_retention_ms_{name}", (time.perf_counter() - t0) * 1000, "ms")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS qs_plain, qs_part CASCADE")


def measure_quality(*, quick: bool) -> dict[str, bool]:
    measure_quality_ingest(quick=quick)
    measure_quality_eval(quick=quick)
    measure_quality_chart(quick=quick)
    quality_reset()
    big = "100x" if not quick else "30x"
    return {
        "quality_ingest_vs_copy>=0.25": FIGURES.get("quality_ingest_vs_copy", 0) >= 0.25,
        "quality_eval_s<=10": FIGURES.get("quality_eval_s", 99) <= 10,
        "quality_chart_growth<=1.5": FIGURES.get("quality_chart_growth", 99) <= 1.5,
        f"quality_chart_ms_{big}<=100": FIGURES.get(f"quality_chart_ms_{big}", 999) <= 100,
    }


# --------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10k and 30k tickets, short phases (< 60 s)")
    parser.add_argument("--small", type=int, default=10_000, help="tickets of the small database")
    parser.add_argument("--large", type=int, default=None, help="tickets of the large database (default 1M, quick 30k)")
    parser.add_argument("--due", type=int, default=None, help="due deadlines per measured sweep (default 100, quick 50)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default 2 × cores)")
    parser.add_argument("--skip-http", action="store_true", help="no gunicorn phase (database figures only)")
    parser.add_argument("--quality-only", action="store_true", help="only the service-quality figures")
    parser.add_argument("--skip-quality", action="store_true", help="no service-quality figures")
    parser.add_argument("--quality-storage", action="store_true",
                        help="also compare one table + BRIN with daily partitions (the storage choice)")
    parser.add_argument("--driver", choices=("wrk", "python"), default="wrk",
                        help="HTTP load generator (default wrk, installed with apt-get if missing; python if not)")
    parser.add_argument("--peer", choices=("helpdesk", "drf"), default="helpdesk",
                        help="the ingest peer: django-helpdesk in its own virtualenv (default) or the DRF ModelViewSet")
    parser.add_argument("--skip-outage", action="store_true", help="no worker + beat phase (lateness figures)")
    parser.add_argument("--outage", default=None,
                        help="deadlines due at once in the outage phase, comma-separated (default 1000,5000; quick 1000)")
    parser.add_argument("--outage-only", action="store_true",
                        help="only the small database, its sweep figures and the outage phase")
    args = parser.parse_args()
    large = args.large or (30_000 if args.quick else 1_000_000)
    k = args.due or (50 if args.quick else 100)
    workers = args.workers or 2 * (os.cpu_count() or 1)
    started = time.monotonic()

    ensure_database()
    flush_broker()
    setup_django()
    small_tag, large_tag = label(args.small), label(large)
    if args.quality_storage:
        measure_quality_storage(quick=args.quick)
    if args.quality_only:
        goals = measure_quality(quick=args.quick)
        failed = [name for name, ok in goals.items() if not ok]
        print(f"summary sizes=quality goals_met={len(goals) - len(failed)}/{len(goals)} "
              f"failed={','.join(failed) or '-'} elapsed_s={time.monotonic() - started:.0f}", flush=True)
        return 0

    if args.outage_only:
        generate(args.small, reset=True)
        figure("sweep_queries", measure_sweep(small_tag, k)["per_due"], "queries/due")
        flush_broker()
        measure_lateness([int(n) for n in (args.outage or "1000").split(",")])
        flush_broker()
        goals = {"sweep_queries<=10": FIGURES["sweep_queries"] <= 10,
                 "lateness_max_s_1000<=60": FIGURES.get("lateness_max_s_1000", float("inf")) <= 60}
        failed = [name for name, ok in goals.items() if not ok]
        print(f"summary sizes={small_tag},outage goals_met={len(goals) - len(failed)}/{len(goals)} "
              f"failed={','.join(failed) or '-'} elapsed_s={time.monotonic() - started:.0f}", flush=True)
        return 0

    from tickets.services.dashboard import refresh_dashboard_figures

    seconds = generate(args.small, reset=True)
    figure(f"generate_s_{small_tag}", seconds, "s")
    refresh_dashboard_figures()  # what beat does every minute
    measure_pages(small_tag)
    small = measure_sweep(small_tag, k)

    seconds = generate(large - args.small, reset=False)
    figure(f"generate_s_{large_tag}", seconds, "s")
    figure("generate_tickets_per_s", (large - args.small) / seconds, "tickets/s")
    from django.db import connection

    connection.close()  # the tables changed under this process: fresh statistics, fresh plans
    refresh_dashboard_figures()
    measure_pages(large_tag)
    big = measure_sweep(large_tag, k)
    figure("sweep_growth", big["ms"] / small["ms"], "ratio")
    figure("sweep_idle_growth", big["idle_ms"] / small["idle_ms"], "ratio")
    figure("sweep_queries", big["per_due"], "queries/due")
    for page in ("queue", "dashboard", "ticket_list"):
        figure(f"{page}_growth", FIGURES[f"{page}_ms_{large_tag}"] / FIGURES[f"{page}_ms_{small_tag}"], "ratio")
        figure(f"{page}_ms_large", FIGURES[f"{page}_ms_{large_tag}"], "ms")
    figure("dashboard_ms", FIGURES[f"dashboard_ms_{large_tag}"], "ms")
    figure("dashboard_queries", FIGURES[f"dashboard_queries_{large_tag}"], "queries")
    figure("queue_ms", FIGURES[f"queue_ms_{large_tag}"], "ms")
    figure("queue_queries", FIGURES[f"queue_queries_{large_tag}"], "queries")

    if not args.skip_http:
        measure_http(quick=args.quick, workers=workers, driver_kind=args.driver, peer=args.peer)
    quality_goals = {} if args.skip_quality else measure_quality(quick=args.quick)
    flush_broker()
    if not args.skip_outage:
        sizes = args.outage or ("1000" if args.quick else "1000,5000")
        measure_lateness([int(n) for n in sizes.split(",")])
    flush_broker()

    inf = float("inf")
    goals = {
        "ingest_queries<=15": FIGURES.get("ingest_queries", inf) <= 15,
        "ingest_correlated_queries<=6": FIGURES.get("ingest_correlated_queries", inf) <= 6,
        "ingest_duplicate_queries<=3": FIGURES.get("ingest_duplicate_queries", inf) <= 3,
        "ingest_vs_peer>=1.5": FIGURES.get("ingest_vs_peer", 0) >= 1.5,
        "ingest_vs_raw>=0.35": FIGURES.get("ingest_vs_raw", 0) >= 0.35,
        "storm_alarms_per_s>=200": FIGURES.get("storm_alarms_per_s", 0) >= 200,
        "storm_tickets_created==100": FIGURES.get("storm_tickets_created") == 100,
        "storm_alarms_stored==sent": FIGURES.get("storm_alarms_stored") == FIGURES.get("storm_alarms_sent"),
        "sweep_queries<=10": FIGURES["sweep_queries"] <= 10,
        "sweep_growth<=1.5": FIGURES["sweep_growth"] <= 1.5,
        "lateness_max_s_1000<=60": FIGURES.get("lateness_max_s_1000", inf) <= 60,
        "queue_growth<=1.5": FIGURES["queue_growth"] <= 1.5,
        "dashboard_growth<=1.5": FIGURES["dashboard_growth"] <= 1.5,
        "ticket_list_growth<=1.5": FIGURES["ticket_list_growth"] <= 1.5,
        "queue_ms_large<=200": FIGURES["queue_ms_large"] <= 200,
        "dashboard_ms_large<=200": FIGURES["dashboard_ms_large"] <= 200,
        "ticket_list_ms_large<=200": FIGURES["ticket_list_ms_large"] <= 200,
    }
    if args.skip_http:
        goals = {k: v for k, v in goals.items() if not k.startswith(("ingest", "storm"))}
    if args.skip_outage:
        goals = {k: v for k, v in goals.items() if not k.startswith("lateness")}
    goals.update(quality_goals)
    failed = [name for name, ok in goals.items() if not ok]
    print(f"summary sizes={small_tag},{large_tag} goals_met={len(goals) - len(failed)}/{len(goals)} "
          f"failed={','.join(failed) or '-'} elapsed_s={time.monotonic() - started:.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
