"""Configuration: a class per environment for the defaults, the environment for the rest.

The classes hold no values read from the environment: `load_config(name)` reads it when an
app is created, so that a value set after import (a test, a process manager) is honoured.
They live inside the package so that an installed Convene needs no extra files on the path.
"""

import os
from datetime import timedelta
from pathlib import Path


def instance_path() -> Path:
    """Where the SQLite database and dev mail live: $CONVENE_INSTANCE, else ./instance."""
    return Path(os.environ.get("CONVENE_INSTANCE") or Path.cwd() / "instance")


# Where links in mail and feeds point when BASE_URL is not set and no request is at hand
# (the mail worker, a command). In development a request's own links follow the address it
# came to instead (convene.urls.base_url); `make run` sets BASE_URL to the address it serves.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = "dev-only-not-secret"
    SQLALCHEMY_DATABASE_URI = None  # default: instance/convene.sqlite
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # The programme's own zone: for viewers who have neither a zone nor an organisation.
    PROGRAMME_ZONE = "America/New_York"
    PROGRAMME_NAME = "What Works Cities"
    # Absolute base URL for links in emails and calendar feeds (no request at hand there).
    BASE_URL = DEFAULT_BASE_URL
    # How many proxies in front of the app set X-Forwarded-For/-Proto (0: none).
    PROXY_COUNT = 0

    # Request limits: the largest body, the form fields held in memory, the number of parts.
    # No form of Convene's comes near them; a larger request gets the 413 page unread.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 500_000
    MAX_FORM_PARTS = 1_000

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # smtp: Flask-Mail over SMTP; console: log it; folder: write .eml files to MAIL_FOLDER.
    MAIL_TRANSPORT = "smtp"
    MAIL_FOLDER = None  # default: instance/mail
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "Convene <convene@localhost>"
    # The ORGANIZER of calendar invitations; None: MAIL_DEFAULT_SENDER's address.
    ORGANIZER_EMAIL = None
    MAIL_MAX_ATTEMPTS = 12
    MAIL_TIMEOUT = 30  # seconds to wait for the SMTP server before a retry is scheduled

    # memory:// counts per process; several workers need a shared store (redis://...).
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Set apart this installation's counts in a store that others share.
    RATELIMIT_KEY_PREFIX = "convene"
    # Failed sign-ins per email address and client address.
    SIGN_IN_RATE_LIMIT = "5 per minute"
    # Failed sign-ins per client address, whatever the email (one password tried on many).
    SIGN_IN_ADDRESS_RATE_LIMIT = "20 per 10 minutes"
    # Failed sign-ins per email address, whatever the client address (many guesses spread out).
    SIGN_IN_EMAIL_RATE_LIMIT = "10 per 10 minutes"

    INVITATION_HOURS = 7 * 24
    RESET_HOURS = 2
    EMAIL_CHANGE_HOURS = 24
    # Reminders go this many hours before a call or summit item (the mail worker sends them).
    REMINDER_HOURS = 24
    # The daily digest goes once this hour (0-23) has come in each member's own zone.
    DIGEST_HOUR = 17
    # A peer visit is asked for at least this many days ahead, and lasts at most this many days.
    VISIT_LEAD_DAYS = 21
    VISIT_MAX_DAYS = 5
    # City applications: the population band of cities that may apply (both ends in it).
    APPLICATION_MIN_POPULATION = 100_000
    APPLICATION_MAX_POPULATION = 1_000_000
    # An emailed link to a draft application works this many days (a status link always).
    APPLICATION_DRAFT_DAYS = 30
    # The mayor's letter: a PDF of at most this many bytes, stored in APPLICATION_UPLOADS
    # (default: instance/uploads/letters), outside the static folder.
    APPLICATION_LETTER_MAX_BYTES = 5 * 1024 * 1024
    APPLICATION_UPLOADS = None
    # Applications started per client address, and by everyone in a day.
    APPLICATION_START_RATE_LIMIT = "5 per hour"
    APPLICATION_START_DAILY_LIMIT = "500 per day"
    # Drafts saved or submitted per client address.
    APPLICATION_SAVE_RATE_LIMIT = "120 per hour"
    # argon2 cost; tests lower it so that hashing does not dominate the suite.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536


class DevelopmentConfig(Config):
    """`make run`: SQLite in instance/, mail written to instance/mail, never sent."""

    CONVENE_ENV = "development"

    MAIL_TRANSPORT = "folder"


class TestingConfig(Config):
    """The test suite; it reads nothing from the environment (the fixtures set the rest)."""

    CONVENE_ENV = "testing"
    TESTING = True
    SECRET_KEY = "testing"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    MAIL_SERVER = "127.0.0.1"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    BASE_URL = "http://convene.test"


class ProductionConfig(Config):
    CONVENE_ENV = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True

    @classmethod
    def check(cls) -> None:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "Convene refuses to start in production without " + " and ".join(missing)
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

# Environment variable -> (config key, conversion).
ENVIRONMENT = {
    "SECRET_KEY": ("SECRET_KEY", str),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "PROGRAMME_ZONE": ("PROGRAMME_ZONE", str),
    "PROGRAMME_NAME": ("PROGRAMME_NAME", str),
    "BASE_URL": ("BASE_URL", str),
    "PROXY_COUNT": ("PROXY_COUNT", int),
    "MAIL_TRANSPORT": ("MAIL_TRANSPORT", str),
    "MAIL_FOLDER": ("MAIL_FOLDER", str),
    "MAIL_SERVER": ("MAIL_SERVER", str),
    "MAIL_PORT": ("MAIL_PORT", int),
    "MAIL_USE_TLS": ("MAIL_USE_TLS", _bool),
    "MAIL_USE_SSL": ("MAIL_USE_SSL", _bool),
    "MAIL_USERNAME": ("MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "MAIL_DEFAULT_SENDER": ("MAIL_DEFAULT_SENDER", str),
    "ORGANIZER_EMAIL": ("ORGANIZER_EMAIL", str),
    "MAIL_MAX_ATTEMPTS": ("MAIL_MAX_ATTEMPTS", int),
    "MAIL_TIMEOUT": ("MAIL_TIMEOUT", float),
    "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "RATELIMIT_KEY_PREFIX": ("RATELIMIT_KEY_PREFIX", str),
    "SIGN_IN_RATE_LIMIT": ("SIGN_IN_RATE_LIMIT", str),
    "SIGN_IN_ADDRESS_RATE_LIMIT": ("SIGN_IN_ADDRESS_RATE_LIMIT", str),
    "SIGN_IN_EMAIL_RATE_LIMIT": ("SIGN_IN_EMAIL_RATE_LIMIT", str),
    "INVITATION_HOURS": ("INVITATION_HOURS", int),
    "RESET_HOURS": ("RESET_HOURS", int),
    "EMAIL_CHANGE_HOURS": ("EMAIL_CHANGE_HOURS", int),
    "REMINDER_HOURS": ("REMINDER_HOURS", int),
    "DIGEST_HOUR": ("DIGEST_HOUR", int),
    "VISIT_LEAD_DAYS": ("VISIT_LEAD_DAYS", int),
    "VISIT_MAX_DAYS": ("VISIT_MAX_DAYS", int),
    "APPLICATION_MIN_POPULATION": ("APPLICATION_MIN_POPULATION", int),
    "APPLICATION_MAX_POPULATION": ("APPLICATION_MAX_POPULATION", int),
    "APPLICATION_DRAFT_DAYS": ("APPLICATION_DRAFT_DAYS", int),
    "APPLICATION_LETTER_MAX_BYTES": ("APPLICATION_LETTER_MAX_BYTES", int),
    "APPLICATION_UPLOADS": ("APPLICATION_UPLOADS", str),
    "APPLICATION_START_RATE_LIMIT": ("APPLICATION_START_RATE_LIMIT", str),
    "APPLICATION_START_DAILY_LIMIT": ("APPLICATION_START_DAILY_LIMIT", str),
    "APPLICATION_SAVE_RATE_LIMIT": ("APPLICATION_SAVE_RATE_LIMIT", str),
}


def load_config(name: str) -> dict:
    """The settings of a named environment: its class's defaults, then the environment."""
    if name not in CONFIGS:
        raise RuntimeError(f"CONVENE_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    config_class = CONFIGS[name]
    if config_class is ProductionConfig:
        ProductionConfig.check()
    settings = {key: getattr(config_class, key) for key in dir(config_class) if key.isupper()}
    if config_class is not TestingConfig:
        for variable, (key, convert) in ENVIRONMENT.items():
            value = os.environ.get(variable)
            if value not in (None, ""):
                settings[key] = convert(value)
    instance = instance_path()
    settings["SQLALCHEMY_DATABASE_URI"] = settings["SQLALCHEMY_DATABASE_URI"] or (
        f"sqlite:///{instance / 'convene.sqlite'}"
    )
    settings["MAIL_FOLDER"] = settings["MAIL_FOLDER"] or str(instance / "mail")
    settings["APPLICATION_UPLOADS"] = settings["APPLICATION_UPLOADS"] or str(
        instance / "uploads" / "letters"
    )
    return settings
