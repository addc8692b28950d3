"""Ecoute settings: every value comes from the environment (see README, "Settings").

Read strictly through `config.env`: a bad value, or a production start missing what it needs,
stops the start with one message that lists every problem.
"""

import re
from pathlib import Path

from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _
from kombu import Queue
from whitenoise.compress import Compressor

from .env import Env, secret_key_problem, site_url_problem

BASE_DIR = Path(__file__).resolve().parent.parent

env = Env()
# Variables set in the environment win over the file's.
Env.read_env(env.path("ENV_FILE", default=BASE_DIR / ".env"), overwrite=False)
_secret = env.secret

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.secret("SECRET_KEY", default="insecure-development-key" if DEBUG else None)
# A new SECRET_KEY comes in with the old ones kept here: sessions and the stored helpdesk secrets
# (encrypted with a key derived from SECRET_KEY) still read until they are written again.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# The salt of that derived key (encrypted_fields reads SALT_KEY); not a secret itself.
SALT_KEY = env.str("FIELD_ENCRYPTION_SALT", default="ecoute-stored-secrets")
if DEBUG:
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
    SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
else:
    # No defaults in production: a site that answers to the wrong host or sends customers links
    # to 127.0.0.1 works in every test and fails every customer.
    if not SECRET_KEY:
        env.problem("SECRET_KEY (or SECRET_KEY_FILE) is required unless DEBUG=1.")
    elif problem := secret_key_problem(SECRET_KEY):
        env.problem(problem)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        env.problem("ALLOWED_HOSTS is required unless DEBUG=1, e.g. ecoute.example.com.")
    SITE_URL = env.str("SITE_URL", default="").rstrip("/")
    if not SITE_URL:
        env.problem("SITE_URL is required unless DEBUG=1, e.g. https://ecoute.example.com.")
if SITE_URL and ALLOWED_HOSTS and (problem := site_url_problem(SITE_URL, ALLOWED_HOSTS)):
    env.problem(problem)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guard",
    "tickets",
    "surveys",
    "workforce",
    "kpis",
    "web",
    "connectors",
]

MIDDLEWARE = [
    # First: probes come over plain HTTP with whatever Host header the orchestrator sends.
    "web.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight after, before sessions or anything that touches the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads the request into a query (the session cookie, the views).
    "guard.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "kpis.context_processors.manager_pages",
                "surveys.context_processors.staff_pages",
                "surveys.context_processors.survey_owner",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite in the project folder by default, so that `make demo` needs nothing installed.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection per request costs about 4x the throughput of a kept one (see STYLE.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A read replica of the primary (PostgreSQL streaming replication): KPI reads go there
# (kpis.routers), writes and the rollup refresh to the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Tests read the primary under this name (no second test database).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["kpis.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="fr")
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
# Served by WhiteNoise from the gunicorn processes: `collectstatic` writes each file under a name
# carrying its hash, with gzip and Brotli copies, served with a cache of a year. In DEBUG
# (`make demo`, tests) files are served as they are, from where they lie, without collectstatic.
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# The project's own stylesheets, scripts and icons (no CDN); apps keep theirs in <app>/static/.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Every page names its files through {% static %}, which gives the hashed name: the plain copies
# would only double the build and the image. Source maps are for developer tools: not compressed.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
# Files browsers ask for at the site's root (/favicon.ico, /robots.txt).
WHITENOISE_ROOT = BASE_DIR / "web" / "root"
# Decided here rather than from DEBUG at start-up, which the test runner turns off: tests then
# find files where they lie, as `make demo` does, without a collectstatic.
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS = DEBUG

# Django's checks, with failed logins counted (guard.logins): a client that failed too often
# is refused whatever the password, until its window ends.
AUTHENTICATION_BACKENDS = ["guard.logins.LimitedModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Celery ---------------------------------------------------------------------------------
# Without a broker, tasks run eagerly in-process: the embedded default needs no Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default=""))

# The currency the teams' costs per agent-hour and prices per contact are entered in (ISO 4217),
# named beside every cost figure.
COST_CURRENCY = env.str("COST_CURRENCY", default="EUR")

# --- Cache: abuse limits' counters (guard.limits), the overview's panels (kpis.dashboard) ---
# CACHE_URL when set; else Redis, shared by every web process, when there is one; this process's
# memory otherwise (the embedded default: each process then counts and caches for itself).
OVERVIEW_CACHE_SECONDS = env.int("OVERVIEW_CACHE_SECONDS", default=600)
_REDIS_CACHE = env.str("REDIS_URL", default="") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _REDIS_CACHE,
        "KEY_PREFIX": "ecoute",
        # A Redis that stops answering must not hold a request: the limits then fail open.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    if _REDIS_CACHE
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache("CACHE_URL")}
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Keep the worker's database connection between tasks (about 3x the throughput, STYLE.md).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=200)
# Queues by kind of work (DESIGN.md, "Past one machine"): a backlog of helpdesk bodies never
# holds up survey delivery. A worker started without -Q consumes both; `-Q connectors` or
# `-Q celery` gives each its own workers.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("connectors"))
CELERY_TASK_ROUTES = {"connectors.tasks.*": {"queue": "connectors"}}

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = _secret("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Ecoute <surveys@localhost>")
# An SMTP server that accepts the connection and never answers must not hold a worker.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
# The file backend's folder (django.core.mail.backends.filebased.EmailBackend): `make demo`
# writes there, and with DEBUG the demo mailbox page (/surveys/demo-mailbox/) reads it.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "demo-mailbox"))
# Whose surveys these are: shown on every survey page and email.
SURVEY_COMPANY_NAME = env.str("SURVEY_COMPANY_NAME", default="Ecoute")
# The privacy notice customers may read from every survey page and email; empty: no link.
SURVEY_PRIVACY_URL = env.str("SURVEY_PRIVACY_URL", default="")
# Who gets a follow-up's alert when its team has no lead's email; empty: nobody.
FOLLOWUP_ALERT_FALLBACK_EMAIL = env.str("FOLLOWUP_ALERT_FALLBACK_EMAIL", default="")

# --- Survey delivery (surveys.delivery) -------------------------------------------------------
# One task and one SMTP connection per batch: a task per email caps near 600/s (STYLE.md).
INVITATION_BATCH_SIZE = env.int("INVITATION_BATCH_SIZE", default=200)
# Rows claimed but not yet sent, across all batches: bounds the queue so claims do not outlive
# their lease while waiting for a worker.
INVITATION_MAX_IN_FLIGHT = env.int("INVITATION_MAX_IN_FLIGHT", default=20000)
# A claim older than this is released (killed worker, lost queue message).
INVITATION_LEASE_SECONDS = env.int("INVITATION_LEASE_SECONDS", default=900)
INVITATION_MAX_ATTEMPTS = env.int("INVITATION_MAX_ATTEMPTS", default=5)
# A message the provider refused is tried again after this, doubled at each attempt.
INVITATION_RETRY_SECONDS = env.int("INVITATION_RETRY_SECONDS", default=300)
# Flush each hand-over stamp to disk: closes the PostgreSQL-crash window, ~4 ms per email.
INVITATION_DURABLE_STAMPS = env.bool("INVITATION_DURABLE_STAMPS", default=False)
DELIVERY_BEAT_SECONDS = env.int("DELIVERY_BEAT_SECONDS", default=15)
SMS_BACKEND = env.str("SMS_BACKEND", default="surveys.delivery.sms.LoggingBackend")
SMS_API_URL = env.str(
    "SMS_API_URL", default="https://api.twilio.com/2010-04-01/Accounts/{account}/Messages.json"
)
SMS_ACCOUNT_SID = env.str("SMS_ACCOUNT_SID", default="")
SMS_AUTH_TOKEN = _secret("SMS_AUTH_TOKEN", default="")
SMS_FROM = env.str("SMS_FROM", default="")
SMS_TIMEOUT_SECONDS = env.float("SMS_TIMEOUT_SECONDS", default=10.0)
# Link invitations posted into the helpdesk's chat by this backend (e.g. the Chatwoot one);
# empty: the helpdesk fetches the links through the API.
CHAT_BACKEND = env.str("CHAT_BACKEND", default="")
RESPONSE_WEBHOOK_URL = env.str("RESPONSE_WEBHOOK_URL", default="")
RESPONSE_WEBHOOK_SECRET = _secret("RESPONSE_WEBHOOK_SECRET", default="")
if RESPONSE_WEBHOOK_URL and not RESPONSE_WEBHOOK_SECRET:
    env.problem(
        "RESPONSE_WEBHOOK_URL needs RESPONSE_WEBHOOK_SECRET (or RESPONSE_WEBHOOK_SECRET_FILE)."
    )

# --- Helpdesk connectors (connectors) ---------------------------------------------------------
# Bodies recorded per transaction: one upsert through tickets' services for the whole batch
# (a batch has a fixed cost, the facts' refresh and the commit: 2,000 record twice as fast as 500).
CONNECTORS_BATCH_SIZE = env.int("CONNECTORS_BATCH_SIZE", default=2000)
# Tries of a body naming a ticket not received yet (1, 2, 4... minutes apart) before it fails.
CONNECTORS_MAX_ATTEMPTS = env.int("CONNECTORS_MAX_ATTEMPTS", default=8)
CONNECTORS_KEEP_DAYS = env.int("CONNECTORS_KEEP_DAYS", default=30)
CONNECTORS_SYNC_SECONDS = env.int("CONNECTORS_SYNC_SECONDS", default=300)
# A 429 asking to wait longer than this stops the pull until then instead of waiting.
CONNECTORS_MAX_WAIT_SECONDS = env.int("CONNECTORS_MAX_WAIT_SECONDS", default=120)
CONNECTORS_HTTP_TIMEOUT = env.float("CONNECTORS_HTTP_TIMEOUT", default=30.0)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Integrations: `Authorization: Bearer <token>`, stored hashed (tickets/tokens.py). First,
        # so that an anonymous call gets 401 with a WWW-Authenticate header rather than 403.
        "tickets.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only, and a body nested too deep is a 400 like any other bad body.
    "DEFAULT_PARSER_CLASSES": ["guard.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["guard.throttles.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ecoute API",
    "DESCRIPTION": "Ticket history in, survey links and KPIs out.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "guard.api_schema.links_add",
    ],
}

# --- Abuse limits (guard.limits): "<count>/<period>", the period in s, m, h or d ------------
_RATE = r"\d+/\d*[smhd]"


def _rate(name: str, default: str) -> str:
    value = env.str(name, default=default)
    if not re.fullmatch(_RATE, value):
        env.problem(f"{name}={value!r} is not a rate such as 10/15m.")
    return value


RATE_LIMIT_LOGIN_PER_ADDRESS = _rate("RATE_LIMIT_LOGIN_PER_ADDRESS", "30/15m")
RATE_LIMIT_LOGIN_PER_ACCOUNT = _rate("RATE_LIMIT_LOGIN_PER_ACCOUNT", "10/15m")
RATE_LIMIT_PASSWORD_RESET_PER_ADDRESS = _rate("RATE_LIMIT_PASSWORD_RESET_PER_ADDRESS", "10/h")
RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT = _rate("RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT", "3/h")
RATE_LIMIT_API_AUTH_PER_ADDRESS = _rate("RATE_LIMIT_API_AUTH_PER_ADDRESS", "30/5m")
RATE_LIMIT_API_AUTH_PER_TOKEN = _rate("RATE_LIMIT_API_AUTH_PER_TOKEN", "10/5m")
RATE_LIMIT_SURVEY_LINKS_PER_ADDRESS = _rate("RATE_LIMIT_SURVEY_LINKS_PER_ADDRESS", "30/10m")
API_RATE_LIMIT = _rate("API_RATE_LIMIT", "1200/m")
# Behind one reverse proxy that appends the client's address to this header (e.g.
# X-Forwarded-For): the limits count that address, not the proxy's.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
RATELIMIT_IP_META_KEY = "guard.limits.client_address"

# --- Domain ---------------------------------------------------------------------------------
# What history may hold (tickets.bounds): times within a window around now, and handle times
# short enough that a day's rollup of one channel and team cannot overflow its 4-byte sum.
HISTORY_MAX_AGE_DAYS = env.int("HISTORY_MAX_AGE_DAYS", default=7305)  # 20 years
HISTORY_MAX_FUTURE_SECONDS = env.int("HISTORY_MAX_FUTURE_SECONDS", default=86400)
HISTORY_MAX_HANDLE_SECONDS = env.int("HISTORY_MAX_HANDLE_SECONDS", default=86400)
# A repeat contact comes back within this many days (DESIGN.md, "KPI definitions").
FCR_WINDOW_DAYS = env.int("FCR_WINDOW_DAYS", default=7)
KPI_MIN_SAMPLE = env.int("KPI_MIN_SAMPLE", default=30)
# Rows (periods x segments) one KPI request may ask for, on the API and the dashboard: two
# centuries by day took 14 s and 17.5 MB.
KPI_MAX_POINTS = env.int("KPI_MAX_POINTS", default=1000)
# Defaults of each channel's targets, which the admin may set per channel (kpis.targets).
KPI_ABANDONMENT_ALERT_PCT = env.float("KPI_ABANDONMENT_ALERT_PCT", default=5.0)
# BVA's study puts FCR targets at 75-85 %: the low end alarms.
KPI_FCR_TARGET_PCT = env.float("KPI_FCR_TARGET_PCT", default=75.0)
# Seconds within which each channel should answer; `phone=20,chat=60` overrides some.
KPI_ANSWER_TARGET_SECONDS = {
    "phone": 30, "click_to_call": 30, "chat": 120, "chatbot": 120, "twitter": 3600,
    "facebook": 7200, "email": 86400, "web_form": 86400,
    **{k: int(v) for k, v in env.dict("KPI_ANSWER_TARGET_SECONDS", default={}).items()},
}  # fmt: skip

# Staffing page: share of contacts to answer within the channel's target, and the share of
# logged-in time lost to breaks assumed when no agent state is known.
STAFFING_SERVICE_LEVEL_PCT = env.float("STAFFING_SERVICE_LEVEL_PCT", default=80.0)
STAFFING_DEFAULT_SHRINKAGE_PCT = env.float("STAFFING_DEFAULT_SHRINKAGE_PCT", default=30.0)
# Country whose public holidays the forecast treats apart (ISO 3166 code; empty: none).
STAFFING_HOLIDAYS_COUNTRY = env.str("STAFFING_HOLIDAYS_COUNTRY", default="FR").strip().upper()
if STAFFING_HOLIDAYS_COUNTRY:
    import holidays as _holidays

    if STAFFING_HOLIDAYS_COUNTRY not in _holidays.list_supported_countries():
        env.problem(
            f"STAFFING_HOLIDAYS_COUNTRY={STAFFING_HOLIDAYS_COUNTRY!r} is not a country the "
            "holidays package knows: an ISO 3166 code such as FR, BE or CH, or empty for none."
        )

# --- Security headers -----------------------------------------------------------------------
# No inline script or style anywhere: every page's scripts and styles are static files. A page
# that must inline a style uses the request's nonce (the charts draw from static files).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        # Swagger UI's and the admin's stylesheets draw icons from data: URLs.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
CSRF_FAILURE_VIEW = "web.errors.csrf_failure"
# Only a proxy that sets X-Forwarded-Proto itself (and drops the client's) may be believed: with
# gunicorn exposed directly, anyone could claim HTTPS.
TRUSTED_PROXY = env.bool("TRUSTED_PROXY", default=False)
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Production hardening (active when DEBUG is off; read always, so a typo never waits) ------
_secure_cookies = env.bool("SECURE_COOKIES", default=True)
_ssl_redirect = env.bool("SECURE_SSL_REDIRECT", default=False)
_hsts_seconds = env.int("SECURE_HSTS_SECONDS", default=0)
_hsts_subdomains = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
_hsts_preload = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not DEBUG:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _secure_cookies
    SECURE_SSL_REDIRECT = _ssl_redirect
    SECURE_HSTS_SECONDS = _hsts_seconds
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _hsts_subdomains
    SECURE_HSTS_PRELOAD = _hsts_preload
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Last: every value above has been read, so the message names every problem at once.
env.raise_problems()
