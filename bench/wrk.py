"""The HTTP load driver of the bench: ``wrk`` (C, epoll) with ``bench/wrk/driver.lua`` making the bodies.

The Python driver (``bench/load.py``) spends 0.6–0.9 ms of CPU per request building and parsing it, wrk about a
quarter of that; on a 2-core machine that CPU is taken from gunicorn. wrk drives the same plans — a fixed
body, one new alarm per circuit in turn with unique ids, or a list of bodies each sent exactly once — from one
connection per wrk thread, and counts statuses and latencies (p50, p90, p99).
``Driver.drive()`` takes a ``load.Plan`` and returns a ``load.Result`` either way; without wrk it falls back to
the Python driver.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench.load import Plan, Result
from bench.load import drive as drive_python

SCRIPT = Path(__file__).resolve().parent / "wrk" / "driver.lua"
MARK = "BENCH-RESULT "
# The alarm body of load.alarm_body() with the varying parts as placeholders the Lua script fills in.
ALARM_TEMPLATE = ('{"alarm_id": "@PREFIX@-@SEQ@", "category": "@CATEGORY@", "severity": "critical", '
                  '"outage": "@OUTAGE@", "circuit_id": "@CIRCUIT@", "title": "LOS on STM-1 port @PORT@", '
                  '"raised_at": "@RAISED@"}')


def find_wrk(*, install: bool = True) -> str | None:
    """The wrk binary; if missing, ``apt-get install wrk`` when that is possible (as scripts/test.sh does)."""
    path = shutil.which("wrk")
    if path or not install or not shutil.which("apt-get"):
        return path
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "install", "-y", "-qq", "wrk"], ["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "wrk"]):
        try:
            subprocess.run(sudo + cmd, env=env, capture_output=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if shutil.which("wrk"):
            break
    return shutil.which("wrk")


def plan_lines(plan: Plan) -> list[str]:
    """The plan file the Lua script reads (see its header)."""
    lines = [f"auth Token {plan.token}"]
    if plan.duration <= 0:
        lines.append("mode bodies")
        lines += [f"body {b.decode() if isinstance(b, bytes) else b}" for b in plan.bodies]
    elif plan.kind == "ping":
        lines += ["mode fixed", "template " + (plan.template or '{"ping": 1}')]
    else:
        body = plan.template or ALARM_TEMPLATE
        body = body.replace("@PREFIX@", plan.prefix).replace("@RAISED@", plan.raised_at)
        lines += ["mode template", f"template {body}"]
        lines += [f"circuit {c}" for c in plan.circuits]
    if any("\n" in line for line in lines):
        raise ValueError("plan lines must not contain newlines")
    return lines


def quantile(parts: list[tuple[int, dict[float, float]]], p: float) -> float:
    """The ``p``-th percentile (ms) of several runs, each given as (requests, {percentile: µs}) with 0 = min and
    100 = max: each run's requests are spread over its percentile grid (the share between two grid points at the
    upper one). For one run it is wrk's own figure at the grid points (50, 90, 99)."""
    points: list[tuple[float, float]] = []
    for count, qs in parts:
        grid = sorted(qs)
        for lo, hi in zip(grid, grid[1:], strict=False):
            points.append((qs[hi], count * (hi - lo) / 100))
    total = sum(w for _, w in points)
    if not total:
        return float("nan")
    seen = 0.0
    for value, weight in sorted(points):
        seen += weight
        if seen >= total * p / 100 - 1e-9:
            return value / 1000
    return points[-1][0] / 1000


def parse(stdout: str) -> tuple[Result, dict[float, float]]:
    """The ``BENCH-RESULT`` line of the Lua script's done(): a ``load.Result`` and its latency percentiles (µs)."""
    for line in stdout.splitlines():
        if line.startswith(MARK):
            data = json.loads(line[len(MARK):])
            break
    else:
        raise ValueError(f"no {MARK.strip()} line in wrk output: {stdout[-500:]!r}")
    statuses = {int(k): v for k, v in data["statuses"].items()}
    e = data["errors"]
    # "status" errors are non-2xx answers, already in the status counts; the rest are requests that got none.
    errors = e["connect"] + e["read"] + e["write"] + e["timeout"]
    qs = {float(k): v for k, v in data.get("quantiles_us", {}).items()}
    return Result(statuses=statuses, errors=errors, wall_s=data["duration_us"] / 1e6,
                  extra=data.get("extra", 0)), qs


def merge(parts: list[tuple[Result, dict[float, float]]], wall_s: float | None = None) -> Result:
    """One result of several wrk runs (statuses and errors summed) with p50, p90, p99 and max."""
    result = Result()
    for part, _ in parts:
        result.merge(part)
        result.extra += part.extra
    if wall_s is not None:
        result.wall_s = wall_s
    weighted = [(sum(part.statuses.values()), qs) for part, qs in parts]
    result.quantiles = {p: quantile(weighted, p) for p in (50.0, 90.0, 99.0, 100.0)}
    return result


def _command(wrk: str, plan: Plan, *, threads: int, duration: float, timeout_s: float) -> list[str]:
    return [wrk, "-t", str(threads), "-c", str(threads), "-d", f"{int(max(1, round(duration)))}s",
            "--timeout", f"{int(timeout_s)}s", "-s", str(SCRIPT), f"http://{plan.host}:{plan.port}{plan.path}"]


def _finish(proc: subprocess.Popen, outputs: list[str], i: int) -> None:
    """Read one wrk process's output; once its share is answered, SIGINT until it exits (wrk's main thread
    otherwise sleeps for the whole -d)."""
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("BENCH-SHARE-DONE"):
            while proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
    proc.wait()
    outputs[i] = "".join(lines) + proc.stdout.read()
    proc.stdout.close()


def run(plan: Plan, *, connections: int, wrk: str = "wrk", timeout_s: float = 120.0) -> Result:
    """Run one plan with wrk, one connection per wrk thread. For a duration: one wrk process of ``connections``
    threads. For a list of bodies: ``connections`` wrk processes of one thread each, every one ending (and
    closing its connection) once its share is answered."""
    with tempfile.NamedTemporaryFile("w", suffix=".plan", delete=False) as f:
        f.write("\n".join(plan_lines(plan)) + "\n")
    env = {**os.environ, "BENCH_WRK_PLAN": f.name}
    try:
        if plan.duration > 0:
            proc = subprocess.run(_command(wrk, plan, threads=connections, duration=plan.duration,
                                           timeout_s=timeout_s),
                                  env={**env, "BENCH_WRK_OFFSET": "0", "BENCH_WRK_STEP": str(connections)},
                                  capture_output=True, text=True, timeout=plan.duration + timeout_s + 60)
            if proc.returncode != 0:
                raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr[-500:]}")
            return merge([parse(proc.stdout)])
        n = max(1, min(connections, len(plan.bodies)))
        t0 = time.monotonic()
        procs = [subprocess.Popen(_command(wrk, plan, threads=1, duration=3600, timeout_s=timeout_s),
                                  env={**env, "BENCH_WRK_OFFSET": str(i), "BENCH_WRK_STEP": str(n)},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(n)]
        outputs: list[str] = [""] * n
        readers = [threading.Thread(target=_finish, args=(p, outputs, i)) for i, p in enumerate(procs)]
        for t in readers:
            t.start()
        for t in readers:
            t.join()
        wall = time.monotonic() - t0
        for p in procs:
            if p.returncode != 0:
                raise RuntimeError(f"wrk failed ({p.returncode}): {p.stderr.read()[-500:]}")
            p.stderr.close()
        return merge([parse(out) for out in outputs], wall_s=wall)
    finally:
        os.unlink(f.name)


class Driver:
    """One load generator for every HTTP phase of a run: wrk when available, else the Python driver."""

    def __init__(self, *, prefer_wrk: bool = True):
        self.wrk = find_wrk() if prefer_wrk else None
        self.kind = "wrk" if self.wrk else "python"

    def drive(self, plan: Plan, *, connections: int = 8) -> Result:
        if self.wrk:
            return run(plan, connections=connections, wrk=self.wrk)
        return drive_python(plan, processes=2, threads=max(1, connections // 2))
