"""Django settings for Zonebook.

Everything that differs between machines comes from environment variables:
DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS, DEBUG, ZONEBOOK_PRODUCTION, SESSION_IDLE_SECONDS, TRUSTED_PROXIES.
"""

import ipaddress
import json
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ZONEBOOK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = env_bool("ZONEBOOK_PRODUCTION", False)
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "dev-insecure-zonebook-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz" if not PRODUCTION else ""
)
if PRODUCTION and not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when ZONEBOOK_PRODUCTION=1")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
# Reverse proxies (addresses or CIDR networks, comma separated) whose X-Forwarded-For and X-Request-ID
# headers are believed, e.g. TRUSTED_PROXIES=127.0.0.1 for nginx on the same host.  From any other peer
# both headers are ignored: the client address is the peer's and a new request id is generated.
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()]
for _proxy in TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy, strict=False)  # a typo fails at start-up, not silently at run time

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "zonebook.core",
    "zonebook.audit",
    "zonebook.registry",
    "zonebook.accounts",
    "zonebook.jobs",
    "zonebook.notify",
    "zonebook.attachments",
    "zonebook.sla",
    "zonebook.home",
]
# Domain apps are found by their apps.py (adding an app edits no list here); the ledger's
# dependants come after it, the rest in name order.
from zonebook.core.modules import discover_apps  # noqa: E402

for _optional in ("zonebook.ledger", "zonebook.bench", "zonebook.alerts"):
    if (BASE_DIR / _optional.replace(".", "/") / "apps.py").exists():
        INSTALLED_APPS.append(_optional)
INSTALLED_APPS += discover_apps(BASE_DIR, INSTALLED_APPS)

if "zonebook.alerts" in INSTALLED_APPS and "zonebook.ledger" not in INSTALLED_APPS:
    INSTALLED_APPS.remove("zonebook.alerts")  # the alerts read the ledger

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "zonebook.core.middleware.RequestContextMiddleware",
    # A write that cannot get the database in time answers 503 + Retry-After, not 500 (core/busy.py).
    "zonebook.core.busy.BusyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the idle-timeout middleware, which adds a message when it logs a user out.
    "django.contrib.messages.middleware.MessageMiddleware",
    "zonebook.core.middleware.SessionIdleTimeoutMiddleware",
    "zonebook.core.middleware.ForcePasswordChangeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zonebook.urls"
# The home page (core:home, "/"): the role dashboards of the home app (core does not import it).
HOME_VIEW = "zonebook.home.views.home"
WSGI_APPLICATION = "zonebook.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zonebook.core.context_processors.navigation",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'zonebook.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # seconds a writer waits for the write lock before "database is locked" (then: 503, core/busy.py)
        "timeout": float(os.environ.get("SQLITE_BUSY_TIMEOUT", "30")),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}
# Seconds a client is told to wait (Retry-After) when the database is busy (core/busy.py).
DATABASE_BUSY_RETRY_AFTER = int(os.environ.get("DATABASE_BUSY_RETRY_AFTER", "5"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# <select> widgets are written in Python (zonebook/core/form_renderer.py); everything else as usual.
FORM_RENDERER = "zonebook.core.form_renderer.FastSelectRenderer"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "zonebook.accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "zonebook.accounts.validators.NotUsernameValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login security (等保 level 3): 5 failures lock the user name *from that client address* for 15 minutes
# (so nobody can lock another user, e.g. admin, out from elsewhere); many failures of one user name across
# addresses alert the administrators instead (LOGIN_ALERT_FAILURES within LOGIN_ALERT_WINDOW_HOURS).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "zonebook.core.middleware.client_ip"  # TRUSTED_PROXIES-aware, as the audit log
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_LOCKOUT_CALLABLE = "zonebook.accounts.views.locked_out"  # the page says until when
AXES_VERBOSE = False
LOGIN_ALERT_FAILURES = int(os.environ.get("LOGIN_ALERT_FAILURES", "20"))
LOGIN_ALERT_WINDOW_HOURS = float(os.environ.get("LOGIN_ALERT_WINDOW_HOURS", "1"))
# Who receives mail_admins() alerts (login attacks): comma separated addresses.
ADMINS = [(a.strip(), a.strip()) for a in os.environ.get("ADMINS", "").split(",") if a.strip()]

# Notifications (zonebook.notify): in-app always; e-mail copies only with NOTIFY_EMAIL=1, through the
# intranet SMTP server below.  NOTIFY_BASE_URL prefixes the links in the mails (https://zonebook.example).
NOTIFY_EMAIL = env_bool("NOTIFY_EMAIL", False)
NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "zonebook@localhost")
EMAIL_SUBJECT_PREFIX = os.environ.get("EMAIL_SUBJECT_PREFIX", "[Zonebook] ")

SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
CSRF_FAILURE_VIEW = "zonebook.core.views.csrf_failure"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "zonebook" / "locale"]
TIME_ZONE = "Asia/Shanghai"

# Office hours for SLA limits in working hours (zonebook/sla, docs/sla.md): morning and afternoon
# blocks, local time; SLA_CALENDAR_TTL: seconds a process keeps the working-day calendar cached.
SLA_OFFICE_HOURS = {
    "start": os.environ.get("SLA_OFFICE_START", "08:30"),
    "lunch_start": os.environ.get("SLA_LUNCH_START", "12:00"),
    "lunch_end": os.environ.get("SLA_LUNCH_END", "13:30"),
    "end": os.environ.get("SLA_OFFICE_END", "17:30"),
}
SLA_CALENDAR_TTL = int(os.environ.get("SLA_CALENDAR_TTL", "60"))
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Attachments (docs/attachments.md): files under MEDIA_ROOT/attachments/, never served by URL (only
    # through the scoped download view).  Production may point this at S3-compatible object storage,
    # e.g. django-storages' "storages.backends.s3.S3Storage" with its OPTIONS (bucket, endpoint_url, keys).
    "attachments": {
        "BACKEND": os.environ.get("ATTACHMENT_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(os.environ["ATTACHMENT_STORAGE_OPTIONS"])
        if os.environ.get("ATTACHMENT_STORAGE_OPTIONS")
        else {},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Attachments (docs/attachments.md): size limit per file, allowed kinds (attachments/sniffing.py KINDS;
# None = all), virus-scan hook (dotted path to scan(fileobj, name) -> None | finding; default none).
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
ATTACHMENT_ALLOWED_KINDS = [k for k in os.environ.get("ATTACHMENT_ALLOWED_KINDS", "").split(",") if k.strip()] or None
ATTACHMENT_VIRUS_SCANNER = os.environ.get("ATTACHMENT_VIRUS_SCANNER") or None

# Bulletins (docs/bulletins.md): a period whose data is not yet reviewed is built as a watermarked
# draft ("draft") or refused ("refuse").
BULLETIN_UNREVIEWED = os.environ.get("BULLETIN_UNREVIEWED", "draft")
ATTACHMENT_MAX_IMAGE_PIXELS = 50_000_000

# Uploads: imports enforce their own limits (see core.imports); keep Django's in line.
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "2000000"))
IMPORT_MAX_UNCOMPRESSED_RATIO = 100
IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", str(1024 * 1024 * 1024)))
# xlsx bomb checks, per part of the archive (core.imports.readers.check_xlsx_container): the ratio
# above applies to every part; worksheets are streamed (limit: the total above), the shared-string
# table is loaded whole (its own size and entry limits), every other part (styles, workbook) is small.
# A 1M-line file stays well inside: its cells are counted, not held.
IMPORT_MAX_MEMBER_BYTES = int(os.environ.get("IMPORT_MAX_MEMBER_BYTES", str(64 * 1024 * 1024)))
IMPORT_MAX_SHARED_STRINGS_BYTES = int(os.environ.get("IMPORT_MAX_SHARED_STRINGS_BYTES", str(256 * 1024 * 1024)))
IMPORT_MAX_SHARED_STRINGS = int(os.environ.get("IMPORT_MAX_SHARED_STRINGS", "2000000"))
IMPORT_MAX_CELLS = int(os.environ.get("IMPORT_MAX_CELLS", "60000000"))
# Uploads above this size are checked and imported by background jobs (with a progress bar).
# Large imports of kinds that support it write in short committed batches to a hidden state and
# publish at the end (core/imports/staging.py): "auto" (the default) on SQLite, whose one write lock a
# long transaction would hold, and on PostgreSQL for files of IMPORT_STAGE_FROM_BYTES or more (a
# smaller file's one transaction is all or nothing by itself and locks nothing but its own new rows;
# a larger one would queue an event per row and foreign key until its commit).  1 = every import
# staged, 0 = one transaction for the whole file.
IMPORT_STAGED = {"auto": None, "0": False}.get(os.environ.get("IMPORT_STAGED", "auto"), True)
IMPORT_STAGE_FROM_BYTES = int(os.environ.get("IMPORT_STAGE_FROM_BYTES", str(64 * 1024 * 1024)))
# Pause after each committed batch on SQLite, so writers queued behind the import get the lock.
IMPORT_STAGE_PAUSE = float(os.environ.get("IMPORT_STAGE_PAUSE", "0.1"))
# Hidden rows of an import whose process died are removed by the next import after this long.
IMPORT_STAGED_MAX_AGE_HOURS = 24
# Processes that parse a large zip of customs messages (customs/xmlio.py, ``parallel_workers``):
# unset = the machine's cores (at most 4); 0 = parse in the importing process.
CUSTOMS_PARSE_WORKERS = int(os.environ["CUSTOMS_PARSE_WORKERS"]) if os.environ.get("CUSTOMS_PARSE_WORKERS") else None
IMPORT_SYNC_MAX_BYTES = int(os.environ.get("IMPORT_SYNC_MAX_BYTES", str(2 * 1024 * 1024)))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "zonebook.core.api.SessionAuthentication",  # refuses users who must change their password
        "rest_framework.authentication.TokenAuthentication",
        "zonebook.accounts.tokens.MachineTokenAuthentication",  # machine clients (gate systems)
    ],
    "DEFAULT_PERMISSION_CLASSES": ["zonebook.core.api.WriteAreaPermission"],
    "DEFAULT_PARSER_CLASSES": [
        "zonebook.core.api.JSONParser",
        "zonebook.core.api.FormParser",
        "zonebook.core.api.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "zonebook.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Zonebook API",
    "DESCRIPTION": "Scoped REST API of Zonebook. Every list accepts the same filters as its page.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No online validator badge: nothing is loaded from the internet (and the CSP would block it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets used by several serializers get one stable name each (apps add theirs here).
    "ENUM_NAME_OVERRIDES": {
        "ServiceChannelEnum": "zonebook.service.models.Channel",
        "ContactChannelEnum": "zonebook.investment.models.ContactChannel",
        "ScreeningStatusEnum": "zonebook.investment.models.ScreeningStatus",
        "ZoneEventEnum": "zonebook.registry.choices.ZoneEvent",
        "ZoneLevelEnum": "zonebook.registry.choices.ZoneLevel",
        "EnterpriseStatusEnum": "zonebook.registry.choices.EnterpriseStatus",
        "ProcessingModeEnum": "zonebook.registry.choices.ProcessingMode",
        "BookKindEnum": "zonebook.ledger.choices.BookKind",
        "BookStatusEnum": "zonebook.ledger.choices.BookStatus",
        "WriteOffMethodEnum": "zonebook.ledger.choices.WriteOffMethod",
        "ItemKindEnum": "zonebook.ledger.choices.ItemKind",
        "UnitKindEnum": "zonebook.accounts.choices.UnitKind",
        "ItemStatusEnum": "zonebook.ledger.choices.ItemStatus",
        "DeclarationStatusEnum": "zonebook.ledger.choices.DeclarationStatus",
        "IEMarkEnum": "zonebook.ledger.choices.IEMark",
        "ListStateEnum": "zonebook.ledger.choices.ListState",
        "WriteOffStateEnum": "zonebook.ledger.models.writeoff.WriteOffState",
        "ReasonCodeEnum": "zonebook.ledger.models.writeoff.ReasonCode",
        "CaseStatusEnum": "zonebook.ledger.models.writeoff.CaseStatus",
        "SettlementKindEnum": "zonebook.ledger.models.writeoff.SettlementKind",
        "AlertKindEnum": "zonebook.alerts.choices.AlertKind",
        "AlertStateEnum": "zonebook.alerts.choices.AlertState",
        "FlagKindEnum": "zonebook.alerts.choices.FlagKind",
        "FlagStateEnum": "zonebook.alerts.choices.FlagState",
        "MetricEnum": "zonebook.alerts.choices.Metric",
        "CarryOverStateEnum": "zonebook.ledger.models.carryover.CarryOverState",
        "CarryOverSideEnum": "zonebook.ledger.models.carryover.CarryOverSide",
        "QueueStatusEnum": "zonebook.ledger.models.carryover.QueueStatus",
        # zone operations
        "ApplicationStatusEnum": "zonebook.operations.choices.Status",
        "PassStatusEnum": "zonebook.operations.choices.PassStatus",
        "PassDirectionEnum": "zonebook.operations.choices.Direction",
        "PassBindTypeEnum": "zonebook.operations.choices.BindType",
        "PassTypeEnum": "zonebook.operations.choices.PassType",
        "RelatedDocumentKindEnum": "zonebook.operations.choices.RelatedKind",
        "GateExceptionKindEnum": "zonebook.operations.choices.ExceptionKind",
        "GateExceptionStateEnum": "zonebook.operations.choices.ExceptionState",
        "GateEventResultEnum": "zonebook.operations.choices.EventResult",
        "ApplicationChannelEnum": "zonebook.operations.choices.Channel",
        "FlowKindEnum": "zonebook.operations.models.FlowKind",
        "FlowStateEnum": "zonebook.operations.models.FlowState",
    },
    # every operation documents its error answers (400/401/403/404), so clients and the schemathesis
    # run (zonebook/core/tests/test_api_schemathesis.py) can hold the API to the schema
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "zonebook.core.api.document_error_responses",
    ],
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

# Content Security Policy: everything is served locally, nothing from the internet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Zonebook's own settings (documented in docs/configuration.md).
ZONEBOOK = {
    "PHONE_MASK_IN_LISTS": True,
    "EXPORT_MAX_ROWS": 1_000_000,
    # Ledger: a posting that takes a material or scrap balance below zero is refused or posted with a warning.
    "LEDGER_NEGATIVE_BALANCE": os.environ.get("LEDGER_NEGATIVE_BALANCE", "refuse"),  # "refuse" | "warn"
    # Ledger: apply the bonded share (保税料件比例) to scrap/intangible loss too (domain doc §12 open question).
    "LEDGER_SCRAP_BONDED_SHARE": False,
    # Ledger oversight: traffic lights of book validity / write-off deadlines (days), and "near zero" balances
    # (expected remaining at most this percentage of what came into the book).
    "LEDGER_EXPIRY_AMBER_DAYS": int(os.environ.get("LEDGER_EXPIRY_AMBER_DAYS", "60")),
    "LEDGER_EXPIRY_RED_DAYS": int(os.environ.get("LEDGER_EXPIRY_RED_DAYS", "30")),
    "LEDGER_NEAR_ZERO_PERCENT": 5,
    # Write-off (报核): |差异率| above this percentage opens a difference case; where the consumption term is
    # rounded: "product" (§6.3 write-off formula, per product total) or "line" (per list line, as posting).
    "LEDGER_WRITEOFF_DIFF_THRESHOLD": os.environ.get("LEDGER_WRITEOFF_DIFF_THRESHOLD", "1"),
    "LEDGER_WRITEOFF_ROUNDING": "product",
    # PostgreSQL work_mem of the full recompute / check statements (per parallel worker and hash node).
    "LEDGER_RECOMPUTE_WORK_MEM": os.environ.get("LEDGER_RECOMPUTE_WORK_MEM", "256MB"),
    # Carry-over (深加工结转) matching (对碰), docs/ledger-carryover.md: the 监管方式 codes of carry-over lists,
    # the most days between the first and last declaration of one pairing (zones: 30, GG2016-86),
    # partial pairings (shipped ≠ received) and many lists on a side of one pairing (domain doc §7 rule 5).
    "LEDGER_CARRYOVER": {
        "MODES": ("0654", "0255"),
        "WINDOW_DAYS": 30,
        "PARTIAL": False,
        "MANY_TO_ONE": True,
        # 先报进口，再报出口: a shipment is linked only after a receipt declared on or before it (stated
        # for zones, GG2018-52; off by default because 加贸 books follow it only by practice)
        "RECEIPT_FIRST": False,
    },
}
