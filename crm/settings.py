"""Settings for Treue, read from the environment (12-factor).

Every setting has a default that works on a laptop; production (``DEBUG=false``) refuses to start
without a real ``SECRET_KEY``.
"""

import datetime as dt
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from crm import broker

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
# 50 characters, like Django's own deployment check (security.W009) asks.
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 50 characters when DEBUG is off "
        '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
    )

# "testserver" (Django's test client) only while developing: tests add it themselves, and a
# production host list must hold only names the site is served under.
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=["127.0.0.1", "localhost", "[::1]", *(["testserver"] if DEBUG else [])],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "crm.apps.CrmAdminConfig",  # django.contrib.admin with crm.admin_site as admin.site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_htmx",
    "django_celery_beat",
    "simple_history",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crm",
    "customers",
    "interactions",
    "retention",
    "demo",  # on top of every app: it writes into all of them
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.middleware.user_language",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records who made each change in the audit history (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a sign-in refused by django-axes into the lockout page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.treue",
            ],
        },
    },
]

WSGI_APPLICATION = "crm.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT spent 300-700 ms compiling the year-long retention query, more than it
    # saved; our queries are short OLTP and reporting queries that never repay it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Per-process memory by default; set CACHE_URL=redis://127.0.0.1:6379/1 in production so API
# rate limits and locks are shared by every process.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis down must not break pages or the API: reads miss, writes are dropped (crm/cache.py).
    CACHES["default"]["BACKEND"] = "crm.cache.FailSoftRedisCache"

AUTH_USER_MODEL = "crm.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses sign-ins from a locked-out user and IP before any password check
# (the sign-in page, the admin's and the API's token endpoint all go through authenticate()).
AUTHENTICATION_BACKENDS = [
    "crm.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "crm" / "locale"]
# Dates per language (crm/formats/<lang>/formats.py; the rest comes from Django's locales).
# Numbers get their separators where a template asks (intcomma, the ``money`` filter), not
# everywhere: USE_THOUSAND_SEPARATOR would also group ids and years.
FORMAT_MODULE_PATH = ["crm.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

# One currency per installation (DESIGN.md); amounts are Decimal in this currency.
CURRENCY = env.str("CURRENCY", default="EUR")

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
# A CSV import larger than this is refused before it is read (the command and the admin page).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Treue <treue@localhost>")

# Surveys (interactions.surveys): the emails go through EMAIL_BACKEND above (the console in
# development; in production EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with
# EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS). The answer page
# shows only SURVEY_COMPANY_NAME; links start with SITE_URL.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
SURVEY_COMPANY_NAME = env.str("SURVEY_COMPANY_NAME", default="Treue")
SURVEY_LINK_DAYS = env.int("SURVEY_LINK_DAYS", default=30)
SURVEY_QUIET_DAYS = env.int("SURVEY_QUIET_DAYS", default=90)
# Requests to the public answer page per address and window (seconds), counted in the cache.
SURVEY_RATE_LIMIT = env.int("SURVEY_RATE_LIMIT", default=30)
SURVEY_RATE_WINDOW = env.int("SURVEY_RATE_WINDOW", default=600)

# The audit history (django-simple-history). ``SIMPLE_HISTORY_ENABLED=false`` only while loading
# a ``dumpdata`` backup: the history is in the backup, and loaddata would add to it.
SIMPLE_HISTORY_ENABLED = env.bool("SIMPLE_HISTORY_ENABLED", default=True)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: JSON only, bounded tasks, beat schedules edited in the admin (django-celery-beat).
# Redis in production and CI. ``filesystem://`` is the broker in files `make run` falls back to
# on a laptop without Redis (crm/broker.py): messages and results under CELERY_BROKER_FOLDER.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=broker.REDIS_DEFAULT)
CELERY_BROKER_FOLDER = env.path("CELERY_BROKER_FOLDER", default=BASE_DIR / "var" / "broker")
_file_broker_options, _file_results = (
    broker.file_broker(Path(CELERY_BROKER_FOLDER))
    if broker.in_files(CELERY_BROKER_URL)
    else ({}, None)
)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_file_results or CELERY_BROKER_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=20 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A message taken by a worker that died unacknowledged (acks_late: a killed worker's chunk)
# goes back to the queue after this many seconds; keep it above the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60),
    **_file_broker_options,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Security: HTTPS, cookies, headers (``manage.py check --deploy`` is clean in production) ---
# With DEBUG off everything defaults to HTTPS behind a TLS proxy that sets X-Forwarded-Proto.
# A bench or load test over plain http://127.0.0.1 turns the secure cookies off
# (SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false); the HTTPS redirect follows the session
# cookie unless SECURE_SSL_REDIRECT says otherwise.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SESSION_COOKIE_SECURE)
# The load balancer's health check may come in over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS: browsers remember to use HTTPS only for a year, subdomains included. Preloading into the
# browsers' built-in list is hard to undo, so it is opt-in (SECURE_HSTS_PRELOAD=true).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]  # preload: opt-in
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Covering indexes (``include=``) are a PostgreSQL speed-up; SQLite builds the plain index.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts only from our own static files, never inline,
# never eval; htmx is told the same (templates/base.html). Styles allow 'unsafe-inline'
# because style attributes carry computed values (progress-bar widths on the team dashboard
# and report, the cohort heat map's colours, chart legend dots), Swagger UI at /api/docs/ and
# the Django admin set inline styles, and some pages keep a small <style> block. CSS cannot run
# script; the script policy is what stops injected code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user name
# from one IP address, that pair is refused for AXES_COOLOFF_MINUTES, even with the right
# password; a right password before the limit clears the count. Attempts and sign-ins are
# listed in the admin under "Axes". Another user at the same address is not affected.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# No start-up banner on every process and command (failures and lockouts are still logged).
AXES_VERBOSE = False
# Behind a reverse proxy REMOTE_ADDR is the proxy's address: say how many proxies append to
# X-Forwarded-For so failures are counted per client, not per proxy.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "crm.backends.client_ip"
# Across user names: after AXES_ADDRESS_FAILURE_LIMIT wrong passwords from one address within
# the cool-off time, whatever the names, that address is refused like a locked-out user
# (crm.backends: guessing 25 names x 4 passwords no longer slips under the per-name limit).
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)


# --- The REST API (/api/v1/, schema at /api/schema/, docs at /api/docs/) -------------------
# Session auth for the browser (and the docs page), token auth for other tools. Both are
# rate-limited per user, apart (``crm.api.TokenClientThrottle``, ``SessionClientThrottle``); the
# throttles count in the default cache, so with several processes that cache must be shared
# (Redis) to be exact.
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a client without credentials is answered 401 with a Token challenge.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "crm.api.PageNumberPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["crm.api.TokenClientThrottle", "crm.api.SessionClientThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("API_TOKEN_RATE", default="1000/hour"),
        "session": env.str("API_SESSION_RATE", default="1000/hour"),
        "token_obtain": env.str("API_TOKEN_OBTAIN_RATE", default="20/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "crm.api.exception_handler",
    # Rate limits per client address: trust X-Forwarded-For only as far as our own proxies
    # (unset, DRF would key on the whole header a client can write).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Treue API",
    "DESCRIPTION": (
        "Accounts, contacts, contracts, the documented relationship, health, risk flags and "
        "retention figures, scoped like the pages: you see what your role and team may see."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The description of the API is for people who may use it: signed in (session or token).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Several models have a "status" or "kind": name each set of choices after its model.
    "ENUM_NAME_OVERRIDES": {
        "ProblemStatusEnum": "interactions.models.OpenProblem.Status",
        "RiskFlagStatusEnum": "retention.models.RiskFlag.Status",
        "InteractionKindEnum": "interactions.models.Interaction.Kind",
        "FeedbackKindEnum": "interactions.models.Feedback.Kind",
        # ``tone`` and its old name ``sentiment`` are one choice set.
        "ToneEnum": "interactions.models.Tone",
        "RiskFlagReasonEnum": "retention.models.RiskFlag.Reason",
        "PlaybookStepKindEnum": "retention.models.playbooks.StepKind",
    },
}
