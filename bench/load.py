"""A small HTTP load driver: worker processes (spawned, no Django) × threads, one keep-alive-capable
``http.client`` connection per thread, latencies per request.

Each thread takes its requests from a shared plan: either "as many as fit in ``duration`` seconds" (bodies
made on the fly from a template) or "exactly these bodies" (the alarm storm), split across the threads.
"""
from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Plan:
    host: str
    port: int
    token: str
    path: str
    duration: float = 0.0  # > 0: run for this long; else send ``bodies`` once
    kind: str = "ping"  # ping | alarm | bodies
    circuits: list[str] = field(default_factory=list)  # kind "alarm": one new alarm per circuit, in turn
    prefix: str = "BENCH"
    bodies: list[bytes] = field(default_factory=list)  # kind "bodies"
    raised_at: str = ""
    # kind "alarm": the body with placeholders (@PREFIX@ @SEQ@ @CIRCUIT@ @CATEGORY@ @OUTAGE@ @PORT@ @RAISED@);
    # empty: alarm_body()
    template: str = ""


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    wall_s: float = 0.0
    quantiles: dict[float, float] = field(default_factory=dict)  # percentile -> ms, when no raw latencies (wrk)
    extra: int = 0  # requests sent beyond the plan (wrk, bodies: a closing GET)

    def merge(self, other: Result) -> None:
        self.latencies_ms += other.latencies_ms
        for k, v in other.statuses.items():
            self.statuses[k] = self.statuses.get(k, 0) + v
        self.errors += other.errors
        self.wall_s = max(self.wall_s, other.wall_s)

    @property
    def ok(self) -> int:
        return sum(v for k, v in self.statuses.items() if 200 <= k < 300)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms and p in self.quantiles:
            return self.quantiles[p]
        if not self.latencies_ms:
            return float("nan")
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def alarm_body(alarm_id: str, circuit_id: str, raised_at: str, n: int) -> bytes:
    return json.dumps({
        "alarm_id": alarm_id, "category": CATEGORIES[n % len(CATEGORIES)], "severity": "critical",
        "outage": "total" if n % 3 == 0 else "partial", "circuit_id": circuit_id,
        "title": f"LOS on STM-1 port {n % 16}", "raised_at": raised_at,
    }).encode()


CATEGORIES = ("transmission", "datacom", "core", "power")


def fill(template: str, *, prefix: str, seq: int, circuit: str, raised_at: str) -> bytes:
    """A body from a template, as bench/wrk/driver.lua fills it."""
    for key, value in (("@PREFIX@", prefix), ("@SEQ@", str(seq)), ("@CIRCUIT@", circuit),
                       ("@CATEGORY@", CATEGORIES[seq % 4]), ("@OUTAGE@", "total" if seq % 3 == 0 else "partial"),
                       ("@PORT@", str(seq % 16)), ("@RAISED@", raised_at)):
        template = template.replace(key, value)
    return template.encode()


def _thread(plan: Plan, worker: int, thread: int, n_threads_total: int, index: int, out: Result,
            lock: threading.Lock, barrier_at: float) -> None:
    headers = {"Authorization": f"Token {plan.token}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection(plan.host, plan.port, timeout=60)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    while time.time() < barrier_at:
        time.sleep(0.001)
    deadline = time.monotonic() + plan.duration if plan.duration > 0 else None
    n = 0
    while True:
        if deadline is not None:
            if time.monotonic() >= deadline:
                break
            seq = index + n * n_threads_total
            if plan.kind == "alarm":
                circuit = plan.circuits[seq % len(plan.circuits)] if plan.circuits else ""
                if plan.template:
                    body = fill(plan.template, prefix=plan.prefix, seq=seq, circuit=circuit,
                                raised_at=plan.raised_at)
                else:
                    body = alarm_body(f"{plan.prefix}-{seq}", circuit, plan.raised_at, seq)
            else:
                body = b'{"ping": 1}'
        else:
            seq = index + n * n_threads_total
            if seq >= len(plan.bodies):
                break
            body = plan.bodies[seq]
        n += 1
        t0 = time.perf_counter()
        try:
            conn.request("POST", plan.path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(plan.host, plan.port, timeout=60)
            continue
        latencies.append((time.perf_counter() - t0) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    conn.close()
    with lock:
        out.merge(Result(latencies, statuses, errors))


def _worker(plan: Plan, worker: int, n_workers: int, threads: int, start_at: float, queue) -> None:
    out = Result()
    lock = threading.Lock()
    total = n_workers * threads
    ts = [threading.Thread(target=_thread, args=(plan, worker, t, total, worker * threads + t, out, lock, start_at))
          for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.wall_s = time.time() - start_at
    queue.put(out)


def drive(plan: Plan, *, processes: int = 2, threads: int = 4) -> Result:
    """Run the plan from ``processes`` spawned processes of ``threads`` threads; all start together."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 1.0  # time for the processes to spawn
    procs = [ctx.Process(target=_worker, args=(plan, w, processes, threads, start_at, queue))
             for w in range(processes)]
    for p in procs:
        p.start()
    result = Result()
    for _ in procs:
        result.merge(queue.get())
    for p in procs:
        p.join()
    return result
