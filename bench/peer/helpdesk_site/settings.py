"""A minimal Django project serving django-helpdesk's API: the bench's peer.

It runs in its own virtualenv (``bench/peer/requirements.txt``), never imports supportdesk, and keeps its data in
its own PostgreSQL database. Token authentication, e-mail to memory, DEBUG off.
"""
import os

SECRET_KEY = os.environ.get("HELPDESK_SECRET_KEY", "bench-helpdesk-secret-key-not-for-production-0123456789")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "helpdesk_site.urls"
WSGI_APPLICATION = "helpdesk_site.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

_url = os.environ.get("HELPDESK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk_bench_helpdesk")
_rest = _url.split("://", 1)[1]
_auth, _, _hostdb = _rest.rpartition("@")
_user, _, _password = _auth.partition(":")
_hostport, _, _name = _hostdb.partition("/")
_host, _, _port = _hostport.partition(":")
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": _name, "USER": _user, "PASSWORD": _password,
    "HOST": _host, "PORT": _port or "5432", "CONN_MAX_AGE": 60,  # as supportdesk's bench
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
MEDIA_ROOT = os.environ.get("HELPDESK_MEDIA_ROOT", "/tmp/supportdesk-bench-helpdesk-media")
LOGIN_URL = "/helpdesk/login/"

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # no SMTP: messages are built, kept in memory
DEFAULT_FROM_EMAIL = "helpdesk@example.com"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
}

HELPDESK_API_ENABLED = True  # helpdesk 2.x: /helpdesk/api/tickets/ (a DRF ModelViewSet, staff only)
HELPDESK_TEAMS_MODE_ENABLED = False  # no pinax-teams
# HELPDESK_KB_ENABLED stays on: 2.6.1's urls.py names the knowledge-base views whether or not it is enabled.
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
