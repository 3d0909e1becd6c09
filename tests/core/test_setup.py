"""Set-up that works as written, and test runs that never meet."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from staff.models import ApiClient

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_issue_noc_token_can_be_run_again(capsys):
    call_command("issue_noc_token", "nms-backup")
    first = capsys.readouterr().out.strip().splitlines()
    call_command("issue_noc_token", "nms-backup")  # no error the second time
    again = capsys.readouterr().out
    assert "--rotate" in again and first[-1] not in again
    call_command("issue_noc_token", "nms-backup", rotate=True)
    rotated = capsys.readouterr().out.strip().splitlines()[-1]
    assert rotated != first[-1] and ApiClient.for_key(rotated) is not None and ApiClient.for_key(first[-1]) is None


@pytest.mark.django_db
def test_issue_noc_token_rotate_creates_a_missing_client(capsys):
    call_command("issue_noc_token", "nms-new", rotate=True)
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert ApiClient.for_key(token).name == "nms-new"


@pytest.mark.django_db
def test_seed_demo_refuses_debug_off_unless_told():
    assert not settings.DEBUG
    with pytest.raises(CommandError, match="i-know-this-is-not-production"):
        call_command("seed_demo")
    from staff.models import User

    assert not User.objects.filter(username="admin").exists()
    call_command("seed_demo", not_production=True)
    assert User.objects.filter(username="admin").exists()


def test_make_run_binds_this_machine_only_unless_asked():
    web = next(line for line in (ROOT / "Procfile.dev").read_text().splitlines() if line.startswith("web:"))
    assert "${HOST:-127.0.0.1}" in web and "0.0.0.0" not in web
    assert 'HOST="${HOST:-127.0.0.1}"' in (ROOT / "scripts" / "run.sh").read_text()


def test_make_run_writes_a_development_env_once(tmp_path):
    """The .env block of scripts/run.sh, run in a scratch directory: DEBUG=1 and a generated key, kept after."""
    script = (ROOT / "scripts" / "run.sh").read_text()
    block = re.search(r"^if \[ ! -f \.env \]; then\n.*?^fi\n", script, re.S | re.M).group(0)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    subprocess.run(["bash", "-c", block], cwd=tmp_path, check=True, capture_output=True)
    text = (tmp_path / ".env").read_text()
    assert "DEBUG=1" in text
    key = re.search(r"^SECRET_KEY=(\S{40,})$", text, re.M).group(1)
    subprocess.run(["bash", "-c", block], cwd=tmp_path, check=True, capture_output=True)
    assert key in (tmp_path / ".env").read_text()


def test_broker_files_live_under_var_not_in_the_checkout():
    tracked = subprocess.run(["git", "ls-files", "control"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked == ""
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="supportdesk.settings", DEBUG="1", SECRET_KEY="x")
    out = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                          "print(settings.CELERY_BROKER_TRANSPORT_OPTIONS['control_folder'])"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    assert Path(out).is_relative_to(Path(settings.VAR_DIR).parent) and "var" in Path(out).parts


def test_test_runs_are_isolated_per_checkout():
    from supportdesk.test_settings import RUN_ID

    expected = os.environ.get("TEST_DATABASE_NAME") or RUN_ID  # an explicit name wins, else the checkout's
    assert settings.DATABASES["default"]["TEST"]["NAME"].endswith(expected)
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] == f"sdtest-{RUN_ID}:"
    flushes = ("flush" + "db(", "flush" + "all(")
    for path in (ROOT / "tests").rglob("*.py"):
        assert not any(word in path.read_text() for word in flushes), path
