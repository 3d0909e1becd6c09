"""Production settings are safe by default, and the environment switches what it should."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def _manage(*args, **env):
    unset = ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECURE_SSL_REDIRECT", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    clean.update(DJANGO_SETTINGS_MODULE="supportdesk.settings", SUPPORTDESK_VAR_DIR=str(ROOT / "var" / "check"), **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_is_clean_with_debug_off():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(50), DEBUG="0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", SECRET_KEY="", DEBUG="0")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_migrations_are_complete():
    result = _manage("makemigrations", "--check", "--dry-run", SECRET_KEY="x", DEBUG="1")
    assert result.returncode == 0, result.stdout + result.stderr


def test_time_and_languages():
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


def test_no_services_needed_by_default():
    """With no environment the app runs on SQLite and a filesystem broker (make run)."""
    result = _manage("shell", "-c", "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], "
                     "s.CELERY_BROKER_URL)", SECRET_KEY="x", DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.sqlite3 filesystem://" in result.stdout
