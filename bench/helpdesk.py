"""The bench's peer: django-helpdesk creating a ticket over its DRF API, in a virtualenv and database of its own.

The virtualenv (``~/.cache/supportdesk-bench/helpdesk-venv``, or ``BENCH_HELPDESK_VENV``) is made on demand from
``bench/peer/requirements.txt`` (exact versions) with the same Python as ours; the project that serves helpdesk
is ``bench/peer/helpdesk_site`` (its own settings, no supportdesk code) and its database
``supportdesk_bench_helpdesk`` (or ``BENCH_HELPDESK_DATABASE_NAME``). When the virtualenv cannot be made (no
network), ``prepare()`` says why and the bench falls back to the DRF ``ModelViewSet`` of ``bench/urls.py``.
"""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PEER_DIR = Path(__file__).resolve().parent / "peer"
REQUIREMENTS = PEER_DIR / "requirements.txt"
VENV = Path(os.environ.get("BENCH_HELPDESK_VENV", Path.home() / ".cache" / "supportdesk-bench" / "helpdesk-venv"))
DB_NAME = os.environ.get("BENCH_HELPDESK_DATABASE_NAME", "supportdesk_bench_helpdesk")
PATH = "/helpdesk/api/tickets/"


def version() -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        if line.lower().startswith("django-helpdesk=="):
            return line.split("==", 1)[1].strip()
    return "?"


def template(queue: int) -> str:
    """What a NOC would file in helpdesk for an alarm: a ticket in its queue, the alarm in title and text."""
    return json.dumps({
        "queue": queue, "title": "LOS on STM-1 port @PORT@ (@CIRCUIT@)",
        "description": "Alarm @PREFIX@-@SEQ@: @CATEGORY@, critical, @OUTAGE@ outage on circuit @CIRCUIT@, "
                       "raised @RAISED@.",
        "submitter_email": "noc@example.com", "priority": 1})


@dataclass
class Peer:
    python: str
    token: str
    queue: int
    kind: str  # "helpdesk-<version>"


def _env(pg: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PEER_DIR), "DJANGO_SETTINGS_MODULE": "helpdesk_site.settings",
            "HELPDESK_DATABASE_URL": f"{pg}/{DB_NAME}"}


def ensure_venv() -> str:
    """The helpdesk virtualenv's Python, made (or brought to the pinned versions) if need be."""
    python = VENV / "bin" / "python"
    stamp = VENV / "requirements.txt"
    wanted = REQUIREMENTS.read_text()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return str(python)
    if not python.exists():
        subprocess.run([sys.base_prefix + "/bin/python3" if Path(sys.base_prefix, "bin", "python3").exists()
                        else sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, text=True,
                       timeout=300)
    proc = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                           str(REQUIREMENTS)], capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"pip install failed: {(proc.stdout + proc.stderr).strip()[-400:]}")
    stamp.write_text(wanted)
    return str(python)


def prepare(pg: str) -> Peer:
    """The virtualenv, the database (created, migrated), a queue, a staff user and its token; ``RuntimeError``
    saying why when one of them cannot be had."""
    import psycopg

    try:
        return _prepare(pg)
    except (OSError, subprocess.SubprocessError, psycopg.Error) as exc:
        raise RuntimeError(str(exc)) from exc


def _prepare(pg: str) -> Peer:
    import psycopg

    python = ensure_venv()
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    proc = subprocess.run([python, str(PEER_DIR / "helpdesk_site" / "setup_peer.py")], env=_env(pg),
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"helpdesk set-up failed: {(proc.stdout + proc.stderr).strip()[-400:]}")
    token, queue = proc.stdout.split()[-2:]
    return Peer(python=python, token=token, queue=int(queue), kind=f"helpdesk-{version()}")


def start(peer: Peer, pg: str, *, workers: int, port: int) -> subprocess.Popen:
    """helpdesk under gunicorn: the same worker count, worker class and timeout as supportdesk's."""
    gunicorn = str(Path(peer.python).parent / "gunicorn")
    proc = subprocess.Popen([gunicorn, "helpdesk_site.wsgi:application", "--workers", str(workers), "--bind",
                             f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120", "--preload"],
                            env=_env(pg), cwd=PEER_DIR)
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/helpdesk/api/", headers={"Authorization": f"Token {peer.token}"})
            response = conn.getresponse()
            response.read()
            if response.status < 500:
                return proc
        except OSError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("helpdesk's gunicorn did not answer")
