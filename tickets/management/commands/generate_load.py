"""``python manage.py generate_load --tickets N``: fill the database with realistic ticket data, fast.

For performance work only (a dedicated database such as ``supportdesk_bench``), never for production data.

Customers of every tier with contacts, sites and circuits; tickets in every state with the timestamps
their state implies; the deadline rows of docs/rules.md §3.3 (pending, met, breached or cancelled as the ticket's
history says), escalations, hourly broadcasts (R-BCAST) with their slot rows, room involvements, alarms
and the immutable event log. Customers, circuits and tickets are written with ``COPY`` (psycopg 3);
everything that follows from a ticket's timestamps is derived inside PostgreSQL with ``INSERT … SELECT``.

The data keeps every constraint: one open ticket per circuit (open tickets get circuits of their own,
triage tickets an unknown circuit reference of their own), unique ticket numbers and alarm ids, one
deadline row per slot. About 1 % of the open tickets have a deadline that is due and unanswered, so a
deadline sweep finds work.

The open set is what a centre has in hand, not a share of its history: 3 % of a batch, at most ``--open-max``
(300) open tickets in the whole database. A regional maintenance centre works a few hundred faults at once
(in progress, restored and waiting for the repair, waiting for triage); ten years of history do not make that
number grow. Closed tickets are spread over the past at ``--per-day`` (400) tickets a day, so a bigger table is
a longer history, not a busier week. Running the command again adds another batch next to the first; ``--reset``
empties the ticket tables first.
"""
from __future__ import annotations

import json
import random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from customers.choices import ServiceType, Tier
from customers.models import EscalationPolicy
from staff.choices import Role, RoomCode
from staff.models import Room, RoomMembership, User
from staff.roles import sync_roles
from tickets.choices import AlarmCategory, CauseCategory, Outage, Severity, TicketSource, TicketState
from tickets.services.routing import lead_room_code

# Tables emptied by --reset (everything that hangs off customers and tickets, and the notifications).
RESET_TABLES = [
    "tickets_ticketevent", "tickets_broadcast", "tickets_escalation", "tickets_deadline", "tickets_alarm",
    "tickets_ticketroom", "tickets_arrival", "tickets_sitemember", "tickets_prearrivalcheck",
    "tickets_progressnote", "tickets_phonenotification", "tickets_dialtest", "tickets_explanation",
    "tickets_sweeprun", "tickets_faultticket", "tickets_circuit", "tickets_site", "tickets_contact",
    "tickets_customer", "staff_delivery", "staff_notification",
]

# Tables that get most rows: their secondary indexes are rebuilt after a big batch.
BULK_TABLES = ["tickets_faultticket", "tickets_deadline", "tickets_ticketroom", "tickets_alarm", "tickets_escalation",
               "tickets_broadcast", "tickets_ticketevent"]

TIER_SHARES = [(Tier.DIAMOND, 0.05), (Tier.GOLD, 0.15), (Tier.NORMAL, 0.80)]
# Open tickets by state; "due" tickets are carved out of the active ones afterwards.
OPEN_SHARES = [
    ("triage", 0.05), (TicketState.NEW, 0.02), (TicketState.DISPATCHED, 0.15),
    (TicketState.LEAD_HANDLING, 0.38), (TicketState.JOINT_HANDLING, 0.25), (TicketState.RESTORED, 0.15),
]
CLOSED_SHARES = [(TicketState.CLOSED, 0.91), (TicketState.RESOLVED, 0.05), (TicketState.CANCELLED, 0.04)]
CATEGORY_SHARES = [
    (AlarmCategory.TRANSMISSION, 0.35), (AlarmCategory.DATACOM, 0.30), (AlarmCategory.CORE, 0.08),
    (AlarmCategory.WIRELESS, 0.07), (AlarmCategory.POWER, 0.10), (AlarmCategory.OTHER, 0.10),
]
SERVICE_TYPES = list(ServiceType.values)
DISTRICTS = ["福田区", "罗湖区", "南山区", "宝安区", "龙岗区", "龙华区", "盐田区", "光明区", "坪山区"]
TITLES = ["LOS on STM-1 port {n}", "BGP session down to CE {n}", "PTN tunnel {n} protection switch",
          "OTN OCh {n} signal degrade", "Router CPU high on PE-{n}", "Mains failure at site {n}",
          "客户专线中断 {n}", "业务质量劣化 {n}"]
CAUSES = list(CauseCategory.values) if hasattr(CauseCategory, "values") else ["other"]

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def _pick(rng: random.Random, shares):
    x = rng.random()
    for value, share in shares:
        x -= share
        if x < 0:
            return value
    return shares[-1][0]


def _allocate(counts: dict[str, int], total: int) -> None:
    """Round shares to whole numbers that add up to ``total``."""
    diff = total - sum(counts.values())
    key = max(counts, key=counts.get)
    counts[key] += diff


class Command(BaseCommand):
    help = "Fill the database with N realistic tickets (and their customers, circuits, deadlines, events)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, required=True, help="how many tickets to add")
        parser.add_argument("--reset", action="store_true",
                            help="empty the customer and ticket tables, notifications and what refers to them (visits) first")
        parser.add_argument("--force", action="store_true",
                            help="allow --reset on a database whose name does not mention bench/load/test")
        parser.add_argument("--seed", type=int, default=20261125, help="random seed (same seed, same data)")
        parser.add_argument("--due-share", type=float, default=0.01,
                            help="share of open tickets with a due, unanswered deadline (default 0.01)")
        parser.add_argument("--open-share", type=float, default=0.03,
                            help="share of the tickets that are open (capped by the circuits; default 0.03)")
        parser.add_argument("--open-max", type=int, default=300, dest="open_max",
                            help="at most this many open tickets in the database after the batch (default 300)")
        parser.add_argument("--per-day", type=float, default=400.0, dest="per_day",
                            help="closed tickets per day of history (default 400)")
        parser.add_argument("--rebuild-indexes-from", type=int, default=50000, dest="rebuild_from",
                            help="from this many tickets on, drop the secondary indexes and rebuild them after")

    # ------------------------------------------------------------------ entry
    def handle(self, *args, tickets, reset, force, seed, due_share, open_share, rebuild_from, open_max=300,
               per_day=400.0, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_load needs PostgreSQL (it writes with COPY)")
        if tickets < 1:
            raise CommandError("--tickets must be at least 1")
        name = settings.DATABASES["default"]["NAME"]
        if reset and not force and not any(w in name for w in ("bench", "load", "test")):
            raise CommandError(f"refusing to empty database {name!r}; add --force if you mean it")
        self.rng = random.Random(seed + tickets)
        self.now = timezone.now()
        self.open_max, self.per_day = open_max, per_day
        started = time.monotonic()
        timings = []

        def step(label, fn):
            t0 = time.monotonic()
            result = fn()
            timings.append((label, time.monotonic() - t0))
            self.stdout.write(f"  {label}: {time.monotonic() - t0:.1f} s")
            return result

        # VACUUM cannot run inside a transaction (a caller's, such as a test's): ANALYZE instead.
        self._inside_outer_transaction = connection.in_atomic_block
        # One transaction: a failed run leaves nothing behind (not even dropped indexes).
        with transaction.atomic():
            if reset:
                step("reset", self._reset)
            step("reference data and staff", self._reference)
            # Triggers off while the batch goes in (``next_due_at`` is set once, set-based, at the end).
            self._sql("SET LOCAL session_replication_role = replica")
            # A big batch is written faster without the secondary indexes; they are rebuilt afterwards.
            # Unique indexes stay, so every uniqueness promise is checked while the rows go in.
            dropped = step("drop secondary indexes", self._drop_indexes) if tickets >= rebuild_from else []
            n_circuits = max(200, tickets // 20)
            n_customers = max(30, n_circuits // 3)
            customers = step("customers, contacts, sites", lambda: self._customers(n_customers))
            circuits = step("circuits", lambda: self._circuits(customers, n_circuits))
            first, last = step("tickets", lambda: self._tickets(tickets, circuits, customers, open_share, due_share))
            step("deadlines", lambda: self._deadlines(first, last))
            step("involvements, alarms, escalations", lambda: self._children(first, last))
            step("broadcasts", lambda: self._broadcasts(first, last))
            step("events", lambda: self._events(first, last))
            self._sql("SET LOCAL session_replication_role = DEFAULT")
            step("next_due_at", lambda: self._next_due(first, last))
            if dropped:
                step(f"rebuild {len(dropped)} indexes", lambda: self._rebuild_indexes(dropped))
            if self._inside_outer_transaction:
                step("analyze", self._analyze)
        if not self._inside_outer_transaction:
            # What autovacuum leaves a database with years of history in: rows frozen in the visibility map (index-only
            # scans without heap visits), hint bits set, fresh statistics; not a table of rows no one has read yet.
            step("vacuum and analyze", self._vacuum)
        total = time.monotonic() - started
        counts = self._counts(first, last)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
        self.stdout.write(f"generated {tickets} tickets in {total:.1f} s")

    # ------------------------------------------------------------------ helpers
    def _copy(self, table: str, columns: list[str], rows) -> int:
        n = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
        return n

    def _reserve_ids(self, table: str, n: int) -> int:
        """Take ``n`` consecutive ids of ``table`` (the database must not be written meanwhile)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            seq = cursor.fetchone()[0]
            cursor.execute(f"SELECT pg_advisory_xact_lock(hashtext(%s)), nextval('{seq}')", [table])
            first = cursor.fetchone()[1]
            cursor.execute(f"SELECT setval('{seq}', %s)", [first + n - 1])
        return first

    def _sql(self, sql: str, params=None) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
            return cursor.rowcount

    # ------------------------------------------------------------------ steps
    def _reset(self):
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(RESET_TABLES)} CASCADE")

    @transaction.atomic
    def _reference(self):
        from tickets.migrations import _reference

        _reference.ensure()
        sync_roles()
        self.rooms = {r.code: r.pk for r in Room.objects.all()}
        self.policies = {p.tier: p.snapshot() for p in EscalationPolicy.objects.all()}
        # A realistic staff: the notifications of joint handling reach a few people per room.
        groups = {g.name: g for g in Group.objects.all()}
        people = [("loadmon", Role.MONITORING_OPERATOR, RoomCode.MONITORING, 4),
                  ("loadmgr", Role.SUPPORT_MANAGER, RoomCode.SERVICE_SUPPORT, 2),
                  ("loadlead", Role.CENTRE_LEADER, None, 1),
                  ("loadsup", Role.SUPPORT_ENGINEER, RoomCode.SERVICE_SUPPORT, 6)]
        people += [(f"load{code}", Role.ROOM_ENGINEER, code, 4)
                   for code in (RoomCode.TRANSPORT, RoomCode.DATACOM, RoomCode.CORE, RoomCode.WIRELESS, RoomCode.POWER)]
        for prefix, role, room_code, count in people:
            for i in range(1, count + 1):
                user, created = User.objects.get_or_create(
                    username=f"{prefix}{i}",
                    defaults={"email": f"{prefix}{i}@load.invalid", "phone": f"1390000{i:04d}", "first_name": prefix},
                )
                if created:
                    user.set_unusable_password()
                    user.save(update_fields=["password"])
                user.groups.add(groups[role])
                if room_code:
                    RoomMembership.objects.get_or_create(user=user, room_id=self.rooms[room_code])

    def _customers(self, n: int) -> list[tuple[int, str]]:
        rng, now = self.rng, self.now
        first = self._reserve_ids("tickets_customer", n)
        tag = f"{first:07d}"
        customers = []

        def rows():
            for i in range(n):
                pk = first + i
                tier = _pick(rng, TIER_SHARES)
                customers.append((pk, tier))
                yield (pk, f"LG{tag}-{i:06d}", f"集团客户{pk}", tier, f"客户经理{pk % 97}",
                       f"1370000{pk % 10000:04d}", now, now)

        self._copy("tickets_customer", ["id", "code", "name", "tier", "account_manager", "account_manager_phone",
                                        "created_at", "updated_at"], rows())
        self._copy("tickets_contact", ["customer_id", "name", "phone", "email", "is_technical"],
                   ((pk, f"技术联系人{pk}", f"1380{pk % 10000000:07d}", "", True) for pk, _ in customers))
        site_first = self._reserve_ids("tickets_site", 2 * n)

        def sites():
            for j, (pk, _) in enumerate(customers):
                for k in range(2):
                    lat = 22.45 + rng.random() * 0.35
                    lon = 113.75 + rng.random() * 0.6
                    yield (site_first + 2 * j + k, f"站点{k + 1}", f"{rng.choice(DISTRICTS)}{pk}号楼{k + 1}层",
                           f"{lat:.6f}", f"{lon:.6f}", pk)

        self._copy("tickets_site", ["id", "name", "address", "latitude", "longitude", "customer_id"], sites())
        self.site_first = site_first
        self.customer_index = {pk: j for j, (pk, _) in enumerate(customers)}
        return customers

    def _circuits(self, customers, n: int) -> list[tuple[int, str, int, str, str]]:
        """(id, circuit_id, customer id, tier, service type)."""
        rng = self.rng
        first = self._reserve_ids("tickets_circuit", n)
        circuits = []

        def rows():
            for i in range(n):
                pk = first + i
                cust, tier = customers[i % len(customers)] if i < len(customers) else rng.choice(customers)
                service = rng.choice(SERVICE_TYPES)
                j = self.customer_index[cust]
                circuits.append((pk, f"LG-{pk:08d}", cust, tier, service))
                yield (pk, f"LG-{pk:08d}", service, rng.choice(["2M", "10M", "100M", "1G", "10G"]), cust,
                       self.site_first + 2 * j, self.site_first + 2 * j + 1)

        self._copy("tickets_circuit", ["id", "circuit_id", "service_type", "bandwidth", "customer_id", "a_site_id",
                                       "z_site_id"], rows())
        return circuits

    def _tickets(self, n, circuits, customers, open_share, due_share) -> tuple[int, int]:
        rng, now = self.rng, self.now
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tickets_faultticket WHERE state = ANY(%s)",
                           [["new", "dispatched", "lead_handling", "joint_handling", "restored"]])
            already_open = cursor.fetchone()[0]
        n_open = max(0, min(int(n * open_share), int(len(circuits) * 0.6), self.open_max - already_open))
        counts = {state: int(n_open * share) for state, share in OPEN_SHARES}
        _allocate(counts, n_open)
        n_due = round(n_open * due_share)
        states = []
        for state, k in counts.items():
            states += [state] * k
        rng.shuffle(states)
        # The due ones: active tickets (not in joint handling) whose joint-handling clock ran out minutes ago.
        active_idx = [i for i, s in enumerate(states) if s in (TicketState.DISPATCHED, TicketState.LEAD_HANDLING)]
        due_idx = set(rng.sample(active_idx, min(n_due, len(active_idx))))
        open_circuits = rng.sample(circuits, n_open)
        first = self._reserve_ids("tickets_faultticket", n)
        policies = {tier: json.dumps(p) for tier, p in self.policies.items()}
        room_ids = self.rooms
        columns = [
            "id", "number", "state", "version", "round", "source", "title", "description", "circuit_ref",
            "needs_triage", "tier", "important", "category", "severity", "outage", "policy",
            "lead_room_override_reason", "expedite", "site_lead_required", "occurred_at", "created_at", "updated_at",
            "dispatched_at", "accepted_at", "joint_started_at", "joint_reason", "restored_at", "resolved_at",
            "cause_category", "cause_text", "closed_at", "customer_reply", "cancelled_at", "cancel_reason",
            "alarm_cleared_at", "restore_proposed_at", "accepted_by_id", "circuit_id", "customer_id",
            "expedite_by_id", "lead_room_id", "recurrence_of_id", "reported_by_id", "site_lead_id", "vendor_id",
            "site_lead_exception", "no_duty_engineer",
        ]
        year = 365 * 24 * 3600
        history = max(30 * 24 * 3600, n / self.per_day * 24 * 3600)  # seconds of past the closed tickets fill

        def rows():
            for i in range(n):
                pk = first + i
                if i < n_open:
                    state = states[i]
                    circuit = open_circuits[i]
                    due = i in due_idx
                else:
                    state = _pick(rng, CLOSED_SHARES)
                    circuit = rng.choice(circuits)
                    due = False
                triage = state == "triage"
                if triage:
                    state = TicketState.NEW
                    circuit_pk, circuit_ref, customer_pk, tier, service = None, f"UNK-{pk:08d}", None, Tier.NORMAL, None
                else:
                    circuit_pk, circuit_ref, customer_pk, tier, service = circuit
                policy = self.policies[tier]
                joint_after = timedelta(seconds=policy["joint_after"])
                category = _pick(rng, CATEGORY_SHARES)
                severity = rng.choice(Severity.values)
                outage = rng.choice(Outage.values)
                t = _Times()
                # Occurrence and the life so far, as the state implies (deadlines follow in SQL).
                if state in (TicketState.NEW, TicketState.DISPATCHED, TicketState.LEAD_HANDLING):
                    if due:
                        t.occurred = now - joint_after - rng.uniform(1, 20) * MIN
                    else:  # young: the joint-handling clock still runs
                        t.occurred = now - rng.uniform(0.02, 0.95) * joint_after
                    if state != TicketState.NEW:
                        t.dispatched = t.occurred + rng.uniform(0.2, 2) * MIN
                    if state == TicketState.LEAD_HANDLING:
                        t.accepted = min(t.dispatched + rng.uniform(1, 10) * MIN, now - MIN / 6)
                elif state == TicketState.JOINT_HANDLING:
                    t.occurred = now - joint_after - rng.uniform(0.1, 10) * HOUR
                    t.life(rng, joint_after, joint=True)
                elif state == TicketState.RESTORED:
                    t.occurred = now - rng.uniform(0.5, 30) * HOUR
                    joint = rng.random() < 0.3 and t.occurred + joint_after + 10 * MIN < now
                    t.life(rng, joint_after, joint=joint, restore_before=now)
                elif state == TicketState.CANCELLED:
                    t.occurred = now - rng.uniform(0.1 * min(year, history), history) * timedelta(seconds=1)
                    t.cancelled = t.occurred + rng.uniform(5, 40) * MIN
                else:  # resolved / closed
                    span = 30 * 24 * 3600 if state == TicketState.RESOLVED else history
                    t.occurred = now - (3 * 24 * 3600 + rng.random() * span) * timedelta(seconds=1)
                    t.life(rng, joint_after, joint=rng.random() < 0.3, restore_before=now)
                    t.resolved = t.restored + rng.uniform(0, 4) * HOUR
                    if state == TicketState.CLOSED:
                        t.closed = min(t.resolved + rng.uniform(1, 48) * HOUR, now - MIN)
                created = t.occurred + rng.uniform(5, 60) * timedelta(seconds=1)
                if created > now:
                    created = now
                lead = room_ids[lead_room_code(category)]
                resolved_like = state in (TicketState.RESOLVED, TicketState.CLOSED)
                number = f"FT{timezone.localtime(created):%Y%m%d}-{pk:06d}"
                yield (
                    pk, number, state, 1 + t.steps(), 1,
                    TicketSource.ALARM if rng.random() < 0.9 or triage else TicketSource.PHONE,
                    rng.choice(TITLES).format(n=pk % 1000), "", circuit_ref,
                    triage, tier, policy["important"], category, severity, outage, policies[tier],
                    "", False, bool(policy["site_lead_on_any_fault"]) or (
                        bool(policy["site_lead_on_total_outage"]) and outage == Outage.TOTAL),
                    t.occurred, created, t.last(created),
                    t.dispatched, t.accepted, t.joint,
                    ("R-ESC-1" if policy["important"] else "R-ESC-3") if t.joint else "",
                    t.restored, t.resolved,
                    rng.choice(CAUSES) if resolved_like else "", "光缆中断，已熔接恢复" if resolved_like else "",
                    t.closed, "客户确认业务恢复" if state == TicketState.CLOSED else "",
                    t.cancelled, "false_alarm" if t.cancelled else "",
                    t.restored, None, None, circuit_pk, customer_pk, None, lead, None, None, None, None,
                    "", False,
                )

        self._copy("tickets_faultticket", columns, rows())
        return first, first + n - 1

    def _deadlines(self, first: int, last: int) -> None:
        """Clock rows (R-ESC-1/2/3) from each ticket's history; broadcast slot rows (R-BCAST) of joint tickets."""
        params = {"first": first, "last": last, "now": self.now}
        # Joint-handling clock: answered when joint handling started (met if early, breached if by the sweep),
        # met on restore, cancelled with the ticket, otherwise still running.
        self._sql("""
            INSERT INTO tickets_deadline (ticket_id, kind, round, sequence, due_at, met_at, breached_at, cancelled_at)
            SELECT t.id, 'joint_handling', 1, 0, d.due,
                   CASE WHEN t.joint_started_at IS NOT NULL AND t.joint_started_at <= d.due THEN t.joint_started_at
                        WHEN t.joint_started_at IS NULL AND t.restored_at IS NOT NULL THEN t.restored_at END,
                   CASE WHEN t.joint_started_at IS NOT NULL AND t.joint_started_at > d.due THEN t.joint_started_at END,
                   t.cancelled_at
            FROM tickets_faultticket t
            CROSS JOIN LATERAL (SELECT t.occurred_at + make_interval(secs => (t.policy->>'joint_after')::int) AS due) d
            WHERE t.id BETWEEN %(first)s AND %(last)s
        """, params)
        # Arrival clock (important customers, R-ESC-2): met by an arrival before it or by the restore, breached
        # for about one ticket in five when it ran out during joint handling, running while still young.
        self._sql("""
            INSERT INTO tickets_deadline (ticket_id, kind, round, sequence, due_at, met_at, breached_at, cancelled_at)
            SELECT t.id, 'arrival', 1, 0, d.due,
                   CASE WHEN t.cancelled_at IS NOT NULL THEN NULL
                        WHEN t.restored_at IS NOT NULL AND t.restored_at <= d.due THEN t.restored_at
                        WHEN d.due > %(now)s THEN NULL
                        WHEN t.id %% 5 <> 0 THEN d.due - interval '17 minutes' END,
                   CASE WHEN t.cancelled_at IS NOT NULL THEN NULL
                        WHEN t.restored_at IS NOT NULL AND t.restored_at <= d.due THEN NULL
                        WHEN d.due > %(now)s THEN NULL
                        WHEN t.id %% 5 = 0 THEN d.due + interval '40 seconds' END,
                   t.cancelled_at
            FROM tickets_faultticket t
            CROSS JOIN LATERAL (SELECT t.occurred_at + make_interval(secs => (t.policy->>'arrival_after')::int) AS due) d
            WHERE t.id BETWEEN %(first)s AND %(last)s AND (t.policy->>'important')::boolean
              AND t.policy->>'arrival_after' IS NOT NULL
        """, params)
        # Broadcast slots: one row per hour of joint handling; answered while it ran, the next one pending
        # (joint handling) or cancelled at the restore.
        self._sql("""
            INSERT INTO tickets_deadline (ticket_id, kind, round, sequence, due_at, met_at, breached_at, cancelled_at)
            SELECT t.id, 'broadcast', 1, s.n, s.due,
                   CASE WHEN s.due <= e.ended THEN LEAST(s.due + interval '30 seconds', e.ended) END,
                   NULL,
                   CASE WHEN s.due > e.ended AND t.restored_at IS NOT NULL THEN t.restored_at END
            FROM tickets_faultticket t
            CROSS JOIN LATERAL (SELECT COALESCE(t.restored_at, %(now)s) AS ended) e
            CROSS JOIN LATERAL (
                SELECT g AS n, t.joint_started_at + g * interval '1 hour' AS due
                FROM generate_series(1, floor(extract(epoch FROM e.ended - t.joint_started_at) / 3600)::int + 1) g
            ) s
            WHERE t.id BETWEEN %(first)s AND %(last)s AND t.joint_started_at IS NOT NULL
        """, params)

    def _children(self, first: int, last: int) -> None:
        params = {"first": first, "last": last, "support": self.rooms[RoomCode.SERVICE_SUPPORT]}
        # The lead room (R-LEAD) and, once dispatched for an important customer or in joint handling, the
        # support room; in joint handling of an important customer both must arrive (R-ESC-2).
        self._sql("""
            INSERT INTO tickets_ticketroom (ticket_id, room_id, role, notified_at, joined_joint_at, must_arrive, site_kind)
            SELECT t.id, t.lead_room_id, 'lead', t.dispatched_at, t.joint_started_at,
                   t.joint_started_at IS NOT NULL AND t.important,
                   CASE WHEN t.joint_started_at IS NOT NULL AND t.important THEN
                        CASE WHEN t.lead_room_id = %(support)s THEN 'customer' ELSE 'equipment' END ELSE '' END
            FROM tickets_faultticket t WHERE t.id BETWEEN %(first)s AND %(last)s
        """, params)
        self._sql("""
            INSERT INTO tickets_ticketroom (ticket_id, room_id, role, notified_at, joined_joint_at, must_arrive, site_kind)
            SELECT t.id, %(support)s, 'support', t.dispatched_at, t.joint_started_at,
                   t.joint_started_at IS NOT NULL AND t.important,
                   CASE WHEN t.joint_started_at IS NOT NULL AND t.important THEN 'customer' ELSE '' END
            FROM tickets_faultticket t
            WHERE t.id BETWEEN %(first)s AND %(last)s AND t.lead_room_id <> %(support)s
              AND t.dispatched_at IS NOT NULL AND (t.important OR t.joint_started_at IS NOT NULL)
        """, params)
        self._sql("""
            INSERT INTO tickets_alarm (alarm_id, ticket_id, source, category, severity, outage, circuit_ref, circuit_id,
                                       title, raised_at, received_at, cleared_at, correlated, payload)
            SELECT 'LG-NMS-' || t.id, t.id, 'nms-load', t.category, t.severity, t.outage, t.circuit_ref, t.circuit_id,
                   t.title, t.occurred_at, t.created_at, t.restored_at, false,
                   jsonb_build_object('alarm_id', 'LG-NMS-' || t.id, 'circuit_id', t.circuit_ref)
            FROM tickets_faultticket t
            WHERE t.id BETWEEN %(first)s AND %(last)s AND t.source = 'alarm'
        """, params)
        self._sql("""
            INSERT INTO tickets_escalation (ticket_id, kind, round, rule, at, reason, room_id)
            SELECT t.id, 'joint_handling', 1, t.joint_reason, t.joint_started_at, t.joint_reason || ': deadline', NULL
            FROM tickets_faultticket t
            WHERE t.id BETWEEN %(first)s AND %(last)s AND t.joint_started_at IS NOT NULL
        """, params)
        self._sql("""
            INSERT INTO tickets_escalation (ticket_id, kind, round, rule, at, reason, room_id)
            SELECT d.ticket_id, 'arrival_breach', 1, 'R-ESC-2', d.breached_at, 'R-ESC-2: not on site', %(support)s
            FROM tickets_deadline d
            WHERE d.ticket_id BETWEEN %(first)s AND %(last)s AND d.kind = 'arrival' AND d.breached_at IS NOT NULL
        """, params)

    def _broadcasts(self, first: int, last: int) -> None:
        """R-BCAST: the first broadcast when joint handling starts, one per answered slot, a final one at restore."""
        params = {"first": first, "last": last}
        self._sql("""
            INSERT INTO tickets_broadcast (ticket_id, seq, kind, at, slot_due_at, slot, missed_slots, body, body_en)
            SELECT t.id, 1, 'scheduled', t.joint_started_at, NULL, NULL, 0,
                   '工单 ' || t.number || ' 启动联合处理，各室处理中。', 'Ticket ' || t.number || ': joint handling started.'
            FROM tickets_faultticket t
            WHERE t.id BETWEEN %(first)s AND %(last)s AND t.joint_started_at IS NOT NULL
        """, params)
        self._sql("""
            INSERT INTO tickets_broadcast (ticket_id, seq, kind, at, slot_due_at, slot, missed_slots, body, body_en)
            SELECT d.ticket_id, d.sequence + 1, 'scheduled', d.met_at, d.due_at, d.sequence, 0,
                   '第 ' || (d.sequence + 1) || ' 期：各室自上次发布以来无更新。', 'Update ' || (d.sequence + 1) || ': no news.'
            FROM tickets_deadline d
            WHERE d.ticket_id BETWEEN %(first)s AND %(last)s AND d.kind = 'broadcast' AND d.met_at IS NOT NULL
        """, params)
        self._sql("""
            INSERT INTO tickets_broadcast (ticket_id, seq, kind, at, slot_due_at, slot, missed_slots, body, body_en)
            SELECT t.id, 2 + count(d.id), 'final', t.restored_at, NULL, NULL, 0, '【结束通报】故障已抢通。', 'Restored.'
            FROM tickets_faultticket t
            LEFT JOIN tickets_deadline d ON d.ticket_id = t.id AND d.kind = 'broadcast' AND d.met_at IS NOT NULL
            WHERE t.id BETWEEN %(first)s AND %(last)s AND t.joint_started_at IS NOT NULL AND t.restored_at IS NOT NULL
            GROUP BY t.id
        """, params)

    def _events(self, first: int, last: int) -> None:
        """The immutable log: one event per transition the ticket went through, plus its escalation."""
        params = {"first": first, "last": last}
        self._sql("""
            INSERT INTO tickets_ticketevent (ticket_id, at, actor_label, kind, from_state, to_state, note, data)
            SELECT t.id, e.at, e.actor, e.kind, e.from_state, e.to_state, e.note, '{}'::jsonb
            FROM tickets_faultticket t
            CROSS JOIN LATERAL (VALUES
                (t.created_at, 'nms-load', 'created', '', 'new', t.title),
                (t.dispatched_at, 'auto-dispatch', 'dispatch', 'new', 'dispatched', ''),
                (t.accepted_at, 'engineer', 'accept', 'dispatched', 'lead_handling', ''),
                (t.joint_started_at, 'deadline-sweep', 'start_joint',
                    CASE WHEN t.accepted_at IS NOT NULL AND t.accepted_at < t.joint_started_at
                         THEN 'lead_handling' ELSE 'dispatched' END, 'joint_handling', t.joint_reason),
                (t.joint_started_at, 'deadline-sweep', 'escalation', '', '', t.joint_reason),
                (t.restored_at, 'engineer', 'restore',
                    CASE WHEN t.joint_started_at IS NOT NULL THEN 'joint_handling' ELSE 'lead_handling' END,
                    'restored', '业务已恢复'),
                (t.resolved_at, 'engineer', 'resolve', 'restored', 'resolved', t.cause_text),
                (t.closed_at, 'monitor', 'close', 'resolved', 'closed', t.customer_reply),
                (t.cancelled_at, 'monitor', 'cancel', t.state, 'cancelled', 'false alarm')
            ) AS e(at, actor, kind, from_state, to_state, note)
            WHERE t.id BETWEEN %(first)s AND %(last)s AND e.at IS NOT NULL
        """, params)

    def _drop_indexes(self) -> list[tuple[str, str]]:
        """Drop the non-unique, non-constraint indexes of the bulk tables; returns (name, definition)."""
        with connection.cursor() as cursor:
            cursor.execute("""
                SELECT i.relname, pg_get_indexdef(x.indexrelid)
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            """, [BULK_TABLES])
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        return indexes

    def _rebuild_indexes(self, indexes) -> None:
        with connection.cursor() as cursor:
            # The deferred foreign-key checks of the batch run now (an index cannot be built while they wait).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)

    def _next_due(self, first: int, last: int) -> None:
        """R-PRIO's ``next_due_at`` of the batch's tickets, in one statement (the ticket trigger computes it)."""
        self._sql("""
            UPDATE tickets_faultticket t SET next_due_at = NULL
            WHERE t.id BETWEEN %(first)s AND %(last)s AND EXISTS (
                SELECT 1 FROM tickets_deadline d WHERE d.ticket_id = t.id AND d.met_at IS NULL
                  AND d.breached_at IS NULL AND d.cancelled_at IS NULL)
        """, {"first": first, "last": last})

    _TABLES = ("tickets_customer", "tickets_circuit", "tickets_faultticket", "tickets_deadline", "tickets_ticketroom",
               "tickets_alarm", "tickets_escalation", "tickets_broadcast", "tickets_ticketevent")

    def _analyze(self) -> None:
        with connection.cursor() as cursor:
            for table in self._TABLES:
                cursor.execute(f"ANALYZE {table}")

    def _vacuum(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(self._TABLES)}")

    def _counts(self, first: int, last: int) -> dict:
        with connection.cursor() as cursor:
            cursor.execute("""
                SELECT count(*) FILTER (WHERE state IN ('new','dispatched','lead_handling','joint_handling','restored')),
                       count(*) FILTER (WHERE state = 'closed')
                FROM tickets_faultticket WHERE id BETWEEN %s AND %s""", [first, last])
            open_n, closed_n = cursor.fetchone()
            cursor.execute("""
                SELECT count(*) FILTER (WHERE met_at IS NULL AND breached_at IS NULL AND cancelled_at IS NULL),
                       count(*) FILTER (WHERE met_at IS NULL AND breached_at IS NULL AND cancelled_at IS NULL
                                        AND due_at <= %s), count(*)
                FROM tickets_deadline WHERE ticket_id BETWEEN %s AND %s""", [self.now, first, last])
            pending, due, deadlines = cursor.fetchone()
        return {"open": open_n, "closed": closed_n, "deadlines": deadlines, "pending": pending, "due": due}


class _Times:
    """The timestamps of one ticket's life, kept in order."""

    def __init__(self):
        self.occurred = self.dispatched = self.accepted = self.joint = None
        self.restored = self.resolved = self.closed = self.cancelled = None

    def life(self, rng: random.Random, joint_after: timedelta, *, joint: bool,
             restore_before: datetime | None = None) -> None:
        """Dispatched, accepted, maybe joint handling (by the sweep or by hand), maybe restored."""
        self.dispatched = self.occurred + rng.uniform(0.2, 2) * MIN
        self.accepted = self.dispatched + rng.uniform(1, 10) * MIN
        if joint:
            if rng.random() < 0.8:  # the sweep started it when the clock ran out
                self.joint = self.occurred + joint_after + rng.uniform(5, 50) * timedelta(seconds=1)
            else:  # R-ESC-MANUAL: the lead room asked for it
                self.joint = self.accepted + rng.uniform(0, 0.5) * (joint_after - 12 * MIN)
            if self.joint < self.accepted:
                self.accepted = None
        if restore_before is not None:
            if self.joint is not None:
                restored = self.joint + rng.uniform(0.2, 4) * HOUR
            else:  # restored before the joint-handling clock ran out
                restored = self.accepted + rng.uniform(0.05, 0.9) * (self.occurred + joint_after - self.accepted)
            self.restored = min(restored, restore_before - MIN)
            if self.joint is not None and self.restored <= self.joint:
                self.restored = self.joint + MIN

    def steps(self) -> int:
        return sum(x is not None for x in (self.dispatched, self.accepted, self.joint, self.restored, self.resolved,
                                           self.closed, self.cancelled))

    def last(self, default: datetime) -> datetime:
        times = [x for x in (self.dispatched, self.accepted, self.joint, self.restored, self.resolved, self.closed,
                             self.cancelled) if x is not None]
        return max(times, default=default)
