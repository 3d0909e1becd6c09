"""Settings for supportdesk, read from the environment (django-environ).

With no environment at all the project runs self-contained: SQLite in ``var/`` and a
filesystem Celery broker, so ``make run`` works on a machine without any services.
``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to PostgreSQL and Redis.
"""
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SUPPORTDESK_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    SECURE_SSL_REDIRECT=(bool, True),
    SECURE_HSTS_SECONDS=(int, 31536000),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")
SECRET_KEY = env.str("SECRET_KEY", default="") or (
    # Only a development run may go without a real key; production refuses to start.
    "dev-insecure-key-change-me" if DEBUG else ""
)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_fsm",
    "axes",
    "health_check",
    "staff",
    "customers",
    "tickets",
    "visits",
    "complaints",
    "quality",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "supportdesk.core.safeinput.RejectNulMiddleware",
    "supportdesk.core.api.middleware.ApiJsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "supportdesk.urls"
WSGI_APPLICATION = "supportdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'supportdesk.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks, use WAL.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Server-prepared hot statements (``supportdesk.core.rows.hot_cursor``); off behind a pooler in transaction mode.
DATABASE_PREPARED = env.bool("DATABASE_PREPARED", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short OLTP queries: PostgreSQL's JIT costs more to compile than it saves here (docs/performance.md).
    # Generic plans for the statements the server keeps prepared (``supportdesk.core.rows.hot_cursor``, the only
    # server-bound ones): planning a hot read costs several times running it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off -c plan_cache_mode=force_generic_plan")
    if DATABASE_PREPARED:
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
# Test databases get a name of their own so several checkouts can test side by side.
DATABASES["default"].setdefault("TEST", {})
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"]["NAME"] = env.str("TEST_DATABASE_NAME")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "staff.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Failed log-in throttling (django-axes): 5 failures lock the user+address for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Languages and time -----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# --- Security (safe by default; DEBUG=1 relaxes what a laptop cannot offer) ---
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT") and not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else env("SECURE_HSTS_SECONDS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (Django's own middleware): scripts and styles only from our static files (htmx is
# vendored; no inline script, style attribute or eval anywhere), nothing framed, forms post only to us.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- E-mail -----------------------------------------------------------------
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="supportdesk@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -----------------------------------------------------------------
# Broker and control files of the filesystem transport live under var/, never in the checkout.
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# Publishing must never hang a request when the broker is down: one connection attempt with a short
# connect timeout, no retry (the rows stay pending and the sweep hands them over again).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=0.5)
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update({
        "data_folder_in": str(_BROKER_DIR / "in"),
        "data_folder_out": str(_BROKER_DIR / "in"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    })
else:
    CELERY_BROKER_TRANSPORT_OPTIONS.update({
        "visibility_timeout": 3600,
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    })
if env.str("CELERY_BROKER_KEYPREFIX", default=""):
    # Several installations (or test runs) on one Redis database keep to their own keys.
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env.str("CELERY_BROKER_KEYPREFIX")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Three queues, so that a slow channel never starves the sweep: ``sweep`` (the deadline sweep, nothing
# else), ``deliveries`` (sending notifications, its own worker pool) and ``celery`` (everything else).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "tickets.tasks.sweep_deadlines": {"queue": "sweep"},
    "tickets.tasks.sweep_share": {"queue": "sweep"},
    "staff.tasks.deliver": {"queue": "deliveries"},
    "staff.tasks.deliver_batch": {"queue": "deliveries"},
}
# How late an escalation can be is the beat's phase plus the sweep's duration: a short interval (an idle sweep
# is three queries) and, from SWEEP_FANOUT_FROM due deadlines on, the sweep split in SWEEP_FANOUT shares that the
# worker processes take in parallel (tickets.tasks.sweep_deadlines).
SWEEP_INTERVAL_SECONDS = env.int("SWEEP_INTERVAL_SECONDS", default=15)
# Rooms, tier policies and webhook endpoints kept in each process this long (supportdesk.core.refcache).
REFERENCE_CACHE_SECONDS = env.int("REFERENCE_CACHE_SECONDS", default=60)
SWEEP_FANOUT = env.int("SWEEP_FANOUT", default=4)
SWEEP_FANOUT_FROM = env.int("SWEEP_FANOUT_FROM", default=200)
# The manager's dashboard reads its 7/30-day figures and chart from a summary row beat refreshes this often;
# a page finding the row older than the max age computes them itself.
DASHBOARD_FIGURES_INTERVAL_SECONDS = env.int("DASHBOARD_FIGURES_INTERVAL_SECONDS", default=60)
DASHBOARD_FIGURES_MAX_AGE_SECONDS = env.int("DASHBOARD_FIGURES_MAX_AGE_SECONDS", default=180)
CELERY_BEAT_SCHEDULE = {
    "refresh-dashboard": {
        "task": "tickets.tasks.refresh_dashboard",
        "schedule": DASHBOARD_FIGURES_INTERVAL_SECONDS,
        "options": {"expires": DASHBOARD_FIGURES_INTERVAL_SECONDS},
    },
    "sweep-deadlines": {
        "task": "tickets.tasks.sweep_deadlines",
        "schedule": SWEEP_INTERVAL_SECONDS,
        # A sweep still waiting when the next is due is superseded by it; never expire sooner than that.
        "options": {"expires": max(SWEEP_INTERVAL_SECONDS * 2, 60), "queue": "sweep"},
    },
    "visit-reminders": {
        "task": "visits.tasks.send_visit_reminders",
        "schedule": env.int("VISIT_REMINDER_INTERVAL_SECONDS", default=900),
        "options": {"expires": 600},
    },
    # R-QUAL-*: roll up and evaluate the new quality intervals; the dial-test schedule; retention.
    "quality-evaluate": {
        "task": "quality.tasks.evaluate_quality",
        "schedule": env.int("QUALITY_EVALUATE_INTERVAL_SECONDS", default=300),
        "options": {"expires": 240},
    },
    "quality-dial-schedule": {
        "task": "quality.tasks.run_scheduled_dial_tests",
        "schedule": env.int("QUALITY_DIAL_INTERVAL_SECONDS", default=300),
        "options": {"expires": 240},
    },
    "quality-retention": {"task": "quality.tasks.apply_quality_retention", "schedule": 86400, "options": {"expires": 3600}},
}
# R-QUAL-SERIES retention (days): 5-minute samples, 15-minute and hourly rollups.
QUALITY_RETENTION_DAYS = {
    "5m": env.int("QUALITY_RETENTION_5M_DAYS", default=90),
    "15m": env.int("QUALITY_RETENTION_15M_DAYS", default=365),
    "1h": env.int("QUALITY_RETENTION_1H_DAYS", default=3 * 365),
}

# --- REST API ---------------------------------------------------------------
# The API token model (supportdesk.core.api.authentication finds it by name).
API_CLIENT_MODEL = "staff.ApiClient"
# How far in the future a reported time (an alarm's raised_at, an arrival) may lie: clocks drift.
CLOCK_SKEW = timedelta(minutes=5)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "supportdesk.core.safeinput.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_standardized_errors.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    # Rate limits per client and per address (supportdesk.core.api.throttles): 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "supportdesk.core.api.throttles.AddressRateThrottle",
        "supportdesk.core.api.throttles.ClientRateThrottle",
    ],
    "NUM_PROXIES": env.int("NUM_PROXIES", default=None),  # proxies in front that set X-Forwarded-For
}
API_THROTTLE_RATES = {
    "client": env.str("API_RATE_CLIENT", default="1200/min"),
    "address": env.str("API_RATE_ADDRESS", default="2400/min"),
    # Alarm ingestion, per client and per address, counted apart from the rest: a storm must get through.
    "alarms": env.str("API_RATE_ALARMS", default="30000/min"),
    "bad_token": env.str("API_RATE_BAD_TOKEN", default="20/min"),
}
DRF_STANDARDIZED_ERRORS = {
    # Domain errors (supportdesk.core.errors) get the same error body; no traceback reaches a client, DEBUG or not.
    "EXCEPTION_HANDLER_CLASS": "supportdesk.core.api.exceptions.ApiExceptionHandler",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "supportdesk API",
    "DESCRIPTION": "Fault tickets for group customers: alarm ingestion and ticket operations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ProgressKindEnum": "tickets.choices.ProgressKind",
        "DeadlineKindEnum": "tickets.choices.DeadlineKind",
        "EscalationKindEnum": "tickets.choices.EscalationKind",
        "BroadcastKindEnum": "tickets.choices.BroadcastKind",
        "DialTestResultEnum": "tickets.choices.DialTestResult",
        "TicketStateEnum": "tickets.choices.TicketState",
        "ExplanationStateEnum": "tickets.choices.ExplanationState",
        "VisitKindEnum": "visits.choices.VisitKind",
        "VisitStateEnum": "visits.choices.VisitState",
        "ParticipantKindEnum": "visits.choices.ParticipantKind",
        "DocumentKindEnum": "visits.choices.DocumentKind",
        "DocumentStateEnum": "visits.choices.DocumentState",
        "ReviewDecisionEnum": "visits.choices.ReviewDecision",
        "CheckResultEnum": "visits.choices.CheckResult",
        "CallDirectionEnum": "visits.choices.CallDirection",
        # "category" and "channel" name two choice sets each (tickets, complaints): name all four
        "CategoryEnum": "tickets.choices.AlarmCategory",
        "ChannelEnum": "tickets.choices.PhoneChannel",
        "ComplaintCategoryEnum": "complaints.choices.ComplaintCategory",
        "ComplaintChannelEnum": "complaints.choices.Channel",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "supportdesk.core.api.schema.service_error_codes",
        "supportdesk.core.api.schema.conflicts_documented",
    ],
}

# --- Cache (API rate limits) ---------------------------------------------------
# Shared by every process: Redis in production (CACHE_URL, or the broker's Redis); one process's memory
# for a ``make run`` without services.
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "supportdesk.core.cache.RedisCache", "LOCATION": CELERY_BROKER_URL,
                          "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="supportdesk"),
                          "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "supportdesk"}}

# --- Health ---------------------------------------------------------------
SWEEP_STALE_AFTER_SECONDS = env.int("SWEEP_STALE_AFTER_SECONDS", default=300)
# /health/ shows which component fails and why only to staff or to a caller with this token (X-Health-Token).
HEALTH_TOKEN = env.str("HEALTH_TOKEN", default="")

# R-QUAL-DIAL: the Prometheus blackbox exporter that runs dial tests (empty: "no prober configured").
BLACKBOX_EXPORTER_URL = env.str("BLACKBOX_EXPORTER_URL", default="")
BLACKBOX_TIMEOUT_SECONDS = env.float("BLACKBOX_TIMEOUT_SECONDS", default=5.0)

# --- Notifications ------------------------------------------------------------
SMS_BACKEND = env.str("SMS_BACKEND", default="staff.notify.backends.LoggingSMSBackend")
# R-CONF: SMS leaves the centre; only when the gateway is the centre's own may it carry customer names and circuits.
SMS_CHANNEL_INTERNAL = env.bool("SMS_CHANNEL_INTERNAL", default=False)
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
NOTIFY_WEBHOOK_TIMEOUT = env.float("NOTIFY_WEBHOOK_TIMEOUT", default=5.0)
# A delivery the broker never received is picked up by the sweep after this many seconds.
NOTIFY_REQUEUE_GRACE_SECONDS = env.int("NOTIFY_REQUEUE_GRACE_SECONDS", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
