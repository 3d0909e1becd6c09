#!/usr/bin/env bash
# Installs everything the suite needs and runs all of it: lint, migration check, tests
# (PostgreSQL, Redis, a real Celery worker, headless Chromium, Prometheus Alertmanager).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing system packages: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}
# Chromium (browser tests), a CJK font (readable screenshots), Alertmanager (integration test), blackbox exporter (dial tests), gettext (catalogues)
apt_install chromium fonts-wqy-microhei prometheus-alertmanager prometheus-blackbox-exporter gettext

bash scripts/bootstrap.sh requirements-dev.txt

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/supportdesk}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/15}"
.venv/bin/python scripts/check_services.py

echo "== ruff"
.venv/bin/ruff check .
echo "== migrations"
SECRET_KEY=check DEBUG=1 .venv/bin/python manage.py makemigrations --check --dry-run -v 0
echo "== tests"
set +e
.venv/bin/python -m pytest --create-db "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then echo "no tests ran" >&2; exit 1; fi
exit "$status"
