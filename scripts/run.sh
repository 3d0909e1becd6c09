#!/usr/bin/env bash
# Installs and runs supportdesk on this machine: web, Celery worker and Celery beat, with demo data.
# With no environment it needs no services (SQLite in var/, a filesystem broker);
# DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh requirements.txt
# A development .env beside manage.py (kept if it exists): DEBUG on and a key of its own, so that every
# manage.py command of the README works in a fresh shell too. Never used in production (set the environment).
if [ ! -f .env ]; then
  key=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
  printf '# written by make run for development on this machine; production sets its environment instead\nDEBUG=1\nSECRET_KEY=%s\n' "$key" > .env
  echo "== wrote .env (DEBUG=1 and a generated SECRET_KEY, for development)"
fi
export DEBUG="${DEBUG:-1}"
export HOST="${HOST:-127.0.0.1}"   # only this machine; HOST=0.0.0.0 make run to be reachable from others
export PORT="${PORT:-8000}"
export PYTHONUNBUFFERED=1
py=.venv/bin/python
$py manage.py migrate --no-input -v 0
$py manage.py seed_demo   # refuses DEBUG=0: the demo users share a public password
$py manage.py sweep_deadlines   # at once, not a minute from now: the demo's overdue ticket escalates
$py manage.py seed_quality_demo  # two days of performance series on the demo's leased lines
$py manage.py evaluate_quality
cat <<TXT

  supportdesk is running at http://${HOST}:${PORT}/   (admin: http://${HOST}:${PORT}/admin/)
  Demo log-ins (password demo-pass-2026):
    monitor1   monitoring operator     transport1  transport-room engineer
    support1   support engineer        manager1    support-room manager
    leader1    centre leader           vendor1     vendor engineer
    admin      administrator
  Health: http://127.0.0.1:${PORT}/health/?format=json     Stop with Ctrl-C.

TXT
exec .venv/bin/honcho -f Procfile.dev start
