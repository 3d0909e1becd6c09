"""`make run`'s default: SQLite and a filesystem broker, no PostgreSQL or Redis. The same commands the run
script uses migrate, load the demo data and run a sweep that escalates the demo's overdue ticket."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_run_commands_work_without_any_service(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(DJANGO_SETTINGS_MODULE="supportdesk.settings", DEBUG="1", SUPPORTDESK_VAR_DIR=str(tmp_path))

    def manage(*args):
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    manage("migrate", "--no-input", "-v", "0")
    assert "demo-pass-2026" in manage("seed_demo")
    # The demo's diamond fault is 70 min old: its alarm, ingested late, escalated at once (R-ESC-1); the sweep runs.
    assert "sweep: due=" in manage("sweep_deadlines")
    assert "samples stored" in manage("seed_quality_demo")  # SQLite: ingest and rollups without PostgreSQL
    assert "samples in" in manage("evaluate_quality")
    assert (tmp_path / "supportdesk.sqlite3").exists()
    assert any((tmp_path / "broker" / "in").iterdir())  # deliveries handed to the filesystem broker
