"""CodeMentor settings, read once from the environment (django-environ).

Every external part has an embedded default so the platform runs on one machine with
nothing else installed: SQLite, local-memory cache, eager Celery, the local sandbox
executor and the offline mentor. Setting DATABASE_URL, REDIS_URL, JUDGE0_URL and
GEMINI_API_KEY switches each part to the real service. See .env.example.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A development key only when DEBUG is on; production must provide its own.
SECRET_KEY = env("SECRET_KEY", default="dev-insecure-key-only-for-debug" if DEBUG else None)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served locally: no CDN at /api/docs/
    "costs",
    "accounts",
    "problems",
    "submissions",
    "mentor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "codementor.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "codementor.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'codementor.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# --- Cache, Celery: Redis when REDIS_URL is set, embedded defaults otherwise ---------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="cm"),
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "submit"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Fail fast when the broker is down at submit time; the sweep re-queues later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
# Redis redelivers an unacknowledged task (worker died mid-judge) after this many seconds;
# longer than the slowest judge, or a live judge would be delivered twice (harmless: the
# pipeline's per-submission lock drops the twin, but it wastes a worker slot).
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = env.int("CELERY_VISIBILITY_TIMEOUT", default=600)
# Kombu scans for such tasks every interval x throttle seconds (default 10 x 10).
CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_interval"] = env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10)
CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_throttle"] = env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10)
# Separate queues so bulk admin rejudges never starve students' runs and submits.
CELERY_TASK_ROUTES = {
    "submissions.sweep_stuck_submissions": {"queue": "submit"},
    "submissions.purge_expired_results": {"queue": "submit"},
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE["submissions-sweep"] = {
    "task": "submissions.sweep_stuck_submissions",
    "schedule": env.float("SUBMISSION_SWEEP_INTERVAL", default=60.0),
}
CELERY_BEAT_SCHEDULE["submissions-purge-result-cache"] = {
    "task": "submissions.purge_expired_results",
    "schedule": 3600.0,
}

# --- Email ------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="codementor@localhost")
ADMINS = [("Admin", a) for a in env.list("ADMIN_EMAILS", default=[])]

# --- REST API ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_RATES": {
        "submission_run": env("THROTTLE_RUN", default="30/min"),
        "submission_submit": env("THROTTLE_SUBMIT", default="10/min"),
        "auth": env("THROTTLE_AUTH", default="20/min"),
    },
    "EXCEPTION_HANDLER": "codementor.api_errors.exception_handler",
    # JSON nested too deep for the json module is a 400, not a RecursionError 500.
    "DEFAULT_PARSER_CLASSES": [
        "codementor.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CodeMentor API",
    "DESCRIPTION": "Practice problems, judged submissions and an AI mentor.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Error answers (400/401/403/404/429) documented on every operation (codementor/openapi.py).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "codementor.openapi.document_error_responses",
]

# --- Security (HTTPS-only items are switchable for plain-HTTP local deploys) --------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Demo accounts created by `manage.py seed_demo` (make run) ----------------------
DEMO_PASSWORD = env("DEMO_PASSWORD", default="codementor-demo")
ADMIN_PASSWORD = env("ADMIN_PASSWORD", default="codementor-admin")

# --- Judging ----------------------------------------------------------------------
# "local" = bubblewrap sandbox on this machine; "judge0" = Judge0 CE over HTTP.
EXECUTOR_BACKEND = env("EXECUTOR_BACKEND", default="judge0" if env("JUDGE0_URL", default="") else "local")
JUDGE0_URL = env("JUDGE0_URL", default="")
JUDGE0_AUTH_TOKEN = env("JUDGE0_AUTH_TOKEN", default="")
JUDGE0_RAPIDAPI_KEY = env("JUDGE0_RAPIDAPI_KEY", default="")
JUDGE0_RAPIDAPI_HOST = env("JUDGE0_RAPIDAPI_HOST", default="judge0-ce.p.rapidapi.com")
# Which Judge0 price rule the ledger applies: "hosted" (the "*" per-execution rule, RapidAPI)
# or "self-hosted" (the "self-hosted" rule: the host's monthly cost per execution).
# Unset, it is hosted, the dearer assumption; compose's self-hosted stack sets it.
JUDGE0_PRICE_PLAN = env("JUDGE0_PRICE_PLAN", default="hosted")
if JUDGE0_PRICE_PLAN not in ("hosted", "self-hosted"):
    raise environ.ImproperlyConfigured(f"JUDGE0_PRICE_PLAN: 'hosted' or 'self-hosted', not {JUDGE0_PRICE_PLAN!r}")
JUDGE0_CALLBACK_SECRET = env("JUDGE0_CALLBACK_SECRET", default="")
JUDGE0_CALLBACK_BASE_URL = env("JUDGE0_CALLBACK_BASE_URL", default="")
# Judge0 client tuning (docs/judge0.md). Language ids: self-hosted CE 1.13.1 defaults;
# the hosted CE ("1.14.0") uses python=113,javascript=102,cpp=105,java=62.
JUDGE0_AUTH_HEADER = env("JUDGE0_AUTH_HEADER", default="X-Auth-Token")
JUDGE0_LANGUAGE_IDS = {
    "python": 71,
    "javascript": 63,
    "cpp": 54,
    "java": 62,
    **{k: int(v) for k, v in env.dict("JUDGE0_LANGUAGE_IDS", default={}).items()},
}
JUDGE0_TIMEOUT = env.float("JUDGE0_TIMEOUT", default=10.0)  # seconds per HTTP request (read)
JUDGE0_CONNECT_TIMEOUT = env.float("JUDGE0_CONNECT_TIMEOUT", default=3.0)
JUDGE0_POLL_INITIAL = env.float("JUDGE0_POLL_INITIAL", default=0.5)  # first wait after creating
JUDGE0_POLL_FACTOR = env.float("JUDGE0_POLL_FACTOR", default=1.5)
JUDGE0_POLL_MAX_INTERVAL = env.float("JUDGE0_POLL_MAX_INTERVAL", default=3.0)
# Worst case in Judge0 is compile (<= 20 s) + run (<= 20 s) + queueing.
JUDGE0_POLL_DEADLINE = env.float("JUDGE0_POLL_DEADLINE", default=90.0)
JUDGE0_BATCH_SIZE = env.int("JUDGE0_BATCH_SIZE", default=20)  # the server's max_submission_batch_size
# Our caps: the server's MAX_* must be at least these (judge0_check verifies).
JUDGE0_MAX_CPU_TIME_LIMIT = env.float("JUDGE0_MAX_CPU_TIME_LIMIT", default=15.0)
JUDGE0_MAX_WALL_TIME_LIMIT = env.float("JUDGE0_MAX_WALL_TIME_LIMIT", default=20.0)
JUDGE0_MAX_MEMORY_LIMIT_KB = env.int("JUDGE0_MAX_MEMORY_LIMIT_KB", default=512000)
JUDGE0_MAX_FILE_SIZE_KB = env.int("JUDGE0_MAX_FILE_SIZE_KB", default=4096)
SANDBOX_BWRAP = env("SANDBOX_BWRAP", default="bwrap")
SANDBOX_WORK_ROOT = env("SANDBOX_WORK_ROOT", default="")
# Local sandbox (docs/executors.md): one unprivileged uid per concurrent slot, because
# RLIMIT_NPROC counts every process of a uid and root ignores it.
SANDBOX_SLOTS = env.int("SANDBOX_SLOTS", default=8)
SANDBOX_UID_BASE = env.int("SANDBOX_UID_BASE", default=60000)
SANDBOX_SLOT_WAIT_SECONDS = env.float("SANDBOX_SLOT_WAIT_SECONDS", default=30.0)
SANDBOX_MAX_RUN_SECONDS = env.float("SANDBOX_MAX_RUN_SECONDS", default=10.0)  # whole harness run cap
SANDBOX_COMPILE_SECONDS = env.float("SANDBOX_COMPILE_SECONDS", default=30.0)
SUBMISSION_MAX_CODE_BYTES = 64 * 1024
SUBMISSION_MAX_STDIN_BYTES = 64 * 1024
# Pipeline (docs/pipeline.md): retries on a busy/unreachable executor, then system_error.
SUBMISSION_MAX_RETRIES = env.int("SUBMISSION_MAX_RETRIES", default=5)
SUBMISSION_RETRY_BACKOFF = env.float("SUBMISSION_RETRY_BACKOFF", default=2.0)  # seconds, doubled per retry
SUBMISSION_RETRY_BACKOFF_MAX = env.float("SUBMISSION_RETRY_BACKOFF_MAX", default=60.0)
SUBMISSION_RESULT_CACHE_TTL = env.int("SUBMISSION_RESULT_CACHE_TTL", default=7 * 24 * 3600)
# How long the durable CachedResult row of a verdict is served (fixed at store time).
SUBMISSION_RESULT_CACHE_DURABLE_TTL = env.int("SUBMISSION_RESULT_CACHE_DURABLE_TTL", default=30 * 24 * 3600)
# A single-flight holder that crashed blocks its twins at most this long.
SUBMISSION_FLIGHT_LOCK_SECONDS = env.int("SUBMISSION_FLIGHT_LOCK_SECONDS", default=120)
# The sweep re-queues submissions queued/running longer than these, at most MAX_SWEEPS times.
SUBMISSION_QUEUED_DEADLINE = env.int("SUBMISSION_QUEUED_DEADLINE", default=300)
SUBMISSION_RUNNING_DEADLINE = env.int("SUBMISSION_RUNNING_DEADLINE", default=300)
SUBMISSION_UNSENT_GRACE = env.int("SUBMISSION_UNSENT_GRACE", default=10)  # never enqueued (broker down)
SUBMISSION_MAX_SWEEPS = env.int("SUBMISSION_MAX_SWEEPS", default=5)
# Fairness (submissions/concurrency.py): executions one account may run at once; a slot
# expires after SLOT_SECONDS (a dead worker's); an over-cap task retries after RETRY_SECONDS.
SUBMISSION_USER_CONCURRENCY = env.int("SUBMISSION_USER_CONCURRENCY", default=2)
SUBMISSION_USER_SLOT_SECONDS = env.int("SUBMISSION_USER_SLOT_SECONDS", default=120)
SUBMISSION_USER_RETRY_SECONDS = env.float("SUBMISSION_USER_RETRY_SECONDS", default=0.5)
# Stdio tests of concurrent submissions share Judge0 batch requests (submissions/batching.py),
# after waiting at most this long for twins; needs the Redis cache.
JUDGE0_CROSS_SUBMISSION_BATCHING = env.bool("JUDGE0_CROSS_SUBMISSION_BATCHING", default=True)
JUDGE0_BATCH_WAIT_MS = env.int("JUDGE0_BATCH_WAIT_MS", default=100)

# --- Mentor -----------------------------------------------------------------------
GEMINI_API_KEY = env("GEMINI_API_KEY", default="")
GEMINI_BASE_URL = env("GEMINI_BASE_URL", default="")
GEMINI_API_VERSION = env("GEMINI_API_VERSION", default="v1beta")
MENTOR_CHEAP_MODEL = env("MENTOR_CHEAP_MODEL", default="gemini-2.5-flash-lite")
MENTOR_STRONG_MODEL = env("MENTOR_STRONG_MODEL", default="gemini-2.5-flash")
MENTOR_DAILY_MESSAGE_QUOTA = env.int("MENTOR_DAILY_MESSAGE_QUOTA", default=100)
MENTOR_MESSAGES_PER_MINUTE = env.int("MENTOR_MESSAGES_PER_MINUTE", default=10)
# SDK transport: per-request timeout (ms), retries with backoff on 408/429/5xx, and an
# overall deadline for one mentor turn (all tool rounds); after that the offline fallback answers.
GEMINI_TIMEOUT_MS = env.int("GEMINI_TIMEOUT_MS", default=30000)
GEMINI_RETRY_ATTEMPTS = env.int("GEMINI_RETRY_ATTEMPTS", default=3)
GEMINI_RETRY_INITIAL_DELAY = env.float("GEMINI_RETRY_INITIAL_DELAY", default=1.0)
GEMINI_RETRY_MAX_DELAY = env.float("GEMINI_RETRY_MAX_DELAY", default=8.0)
MENTOR_TURN_DEADLINE_SECONDS = env.float("MENTOR_TURN_DEADLINE_SECONDS", default=60.0)
MENTOR_MAX_MESSAGE_CHARS = env.int("MENTOR_MAX_MESSAGE_CHARS", default=4000)
MENTOR_MAX_TOOL_ROUNDS = env.int("MENTOR_MAX_TOOL_ROUNDS", default=4)
MENTOR_HISTORY_TURNS = env.int("MENTOR_HISTORY_TURNS", default=4)  # user+mentor pairs sent verbatim
MENTOR_MAX_INPUT_TOKENS = env.int("MENTOR_MAX_INPUT_TOKENS", default=6000)  # per turn, excluding the cached prefix
MENTOR_MAX_OUTPUT_TOKENS = env.int("MENTOR_MAX_OUTPUT_TOKENS", default=800)
MENTOR_CHEAP_THINKING_BUDGET = env.int("MENTOR_CHEAP_THINKING_BUDGET", default=0)
MENTOR_STRONG_THINKING_BUDGET = env.int("MENTOR_STRONG_THINKING_BUDGET", default=512)
MENTOR_RESPONSE_CACHE_TTL = env.int("MENTOR_RESPONSE_CACHE_TTL", default=7 * 24 * 3600)
MENTOR_CONTEXT_CACHE = env.bool("MENTOR_CONTEXT_CACHE", default=True)
MENTOR_CACHE_TTL_SECONDS = env.int("MENTOR_CACHE_TTL_SECONDS", default=900)
# Minimum cacheable prefix per model (docs disagree across versions; 4096 is safe for all).
MENTOR_CACHE_MIN_TOKENS = env.int("MENTOR_CACHE_MIN_TOKENS", default=4096)
MENTOR_CACHE_MIN_TOKENS_BY_MODEL = env.dict("MENTOR_CACHE_MIN_TOKENS_BY_MODEL", cast={"value": int}, default={})
# Floor for the expected cache reads per hour when the ledger has no recent traffic yet.
MENTOR_CACHE_EXPECTED_READS_PER_HOUR = env.float("MENTOR_CACHE_EXPECTED_READS_PER_HOUR", default=0.0)
# Off only for bench/mentor.py's naive baseline: no pattern responder, no response cache.
MENTOR_CHEAP_LAYERS = env.bool("MENTOR_CHEAP_LAYERS", default=True)

# --- Costs ------------------------------------------------------------------------
COSTS_ALERT_WEBHOOK_URL = env("COSTS_ALERT_WEBHOOK_URL", default="")
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# /metrics reads aggregates from the database; scrapes within this window share one render.
METRICS_CACHE_SECONDS = env.int("METRICS_CACHE_SECONDS", default=15)
# Alerts whose delivery was never enqueued (broker down) or still owes a channel.
CELERY_BEAT_SCHEDULE["costs-resend-alerts"] = {
    "task": "costs.tasks.resend_undelivered_alerts_task",
    "schedule": 600.0,
}

# --- Logging: secrets never logged; JSON lines in production -----------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
# JSON lines with the request id (codementor/logging.py) unless LOG_FORMAT=plain; DEBUG defaults to plain.
LOG_FORMAT = env("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING["filters"] = {"request_id": {"()": "codementor.logging.RequestIdFilter"}}
LOGGING["formatters"]["json"] = {"()": "codementor.logging.JsonFormatter"}
LOGGING["formatters"]["plain"]["format"] = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
LOGGING["handlers"]["console"]["filters"] = ["request_id"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "codementor.logging.RequestIdMiddleware"
)
# Password and sign-up forms and the REST token/register endpoints: at most this many POSTs
# per client address and per username per window (429 with Retry-After after); see
# codementor/login_throttle.py and docs/security.md.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
    "codementor.login_throttle.LoginThrottleMiddleware",
)
LOGIN_THROTTLE_ATTEMPTS = env.int("LOGIN_THROTTLE_ATTEMPTS", default=10)
LOGIN_THROTTLE_WINDOW = env.int("LOGIN_THROTTLE_WINDOW", default=300)
REGISTER_THROTTLE_ATTEMPTS = env.int("REGISTER_THROTTLE_ATTEMPTS", default=20)
REGISTER_THROTTLE_WINDOW = env.int("REGISTER_THROTTLE_WINDOW", default=3600)
# How many reverse proxies of ours append to X-Forwarded-For in front of the app. 0 (the
# default) trusts none: throttles key on REMOTE_ADDR and ignore client-sent X-Forwarded-For.
# Set it to 1 behind one nginx/load balancer that appends the address it saw.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
