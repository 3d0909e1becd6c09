"""Say clearly, before the suite starts, whether PostgreSQL and Redis are where the tests expect them."""
import os
import sys
from urllib.parse import urlparse

import psycopg
import redis

db = os.environ["DATABASE_URL"]
broker = os.environ["CELERY_BROKER_URL"]
problems = []
try:
    u = urlparse(db)
    psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username, password=u.password,
                    dbname="postgres", connect_timeout=5).close()
except Exception as exc:  # noqa: BLE001
    problems.append(f"PostgreSQL at {db}: {exc}\n  set DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/NAME "
                    "(the user must be allowed to create the test database)")
try:
    redis.Redis.from_url(broker, socket_connect_timeout=5).ping()
except Exception as exc:  # noqa: BLE001
    problems.append(f"Redis at {broker}: {exc}\n  set CELERY_BROKER_URL=redis://HOST:PORT/DB")
if problems:
    print("The test suite needs PostgreSQL and Redis:\n" + "\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"== services: PostgreSQL {db}, Redis {broker}")
