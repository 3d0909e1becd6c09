"""Settings for the test suite: production settings with test defaults for what the environment omits.

The suite runs on PostgreSQL and Redis; set DATABASE_URL / CELERY_BROKER_URL when they are elsewhere.
"""
import hashlib
import os

# Two checkouts testing on one machine never meet: the test database and the broker's Redis keys are named
# after this checkout (a hash of its path), and nothing in the suite flushes a database it did not create.
RUN_ID = hashlib.sha256(os.path.dirname(os.path.dirname(os.path.abspath(__file__))).encode()).hexdigest()[:10]
os.environ.setdefault("CELERY_BROKER_KEYPREFIX", f"sdtest-{RUN_ID}:")

os.environ.setdefault("HEALTH_TOKEN", "test-health-token")
os.environ.setdefault("DEBUG", "0")  # a development .env (make run) must not turn DEBUG on in the tests
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SUPPORTDESK_VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"]["NAME"] = f"test_{DATABASES['default']['NAME']}_{RUN_ID}"  # noqa: F405
# Each test starts with empty counters (tests/conftest.py clears this cache); the limits themselves are tested
# with small rates in tests/core/test_abuse_limits.py and tests/api/test_api_limits.py.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"test-{RUN_ID}"}}
API_THROTTLE_RATES = {"client": "100000/min", "address": "100000/min", "bad_token": "100000/min"}
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
AXES_ENABLED = True
# The dashboard computes its window figures on every view here (tests change data and look at once).
DASHBOARD_FIGURES_MAX_AGE_SECONDS = 0
# Rooms, policies and webhook endpoints are read from the database each time here: tests change them with
# ``update()`` and flush tables between transactional tests (tests/core/test_refcache.py turns the cache on).
REFERENCE_CACHE_SECONDS = 0
