"""Configuration classes, read from the environment.

They live inside the package (not beside it) so that an installed Convene needs no extra
files on the import path: gunicorn, the CLI and the tests all load the same module.
"""

import os
from pathlib import Path

INSTANCE = Path(os.environ.get("CONVENE_INSTANCE", Path.cwd() / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'convene.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # The programme's own zone: used for viewers who have neither a zone nor an organisation.
    PROGRAMME_ZONE = os.environ.get("PROGRAMME_ZONE", "America/New_York")
    PROGRAMME_NAME = os.environ.get("PROGRAMME_NAME", "What Works Cities")
    # Absolute base URL for links in emails and calendar feeds (no request at hand there).
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # smtp: Flask-Mail over SMTP; console: log it; folder: write .eml files to MAIL_FOLDER.
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "smtp")
    MAIL_FOLDER = os.environ.get("MAIL_FOLDER", str(INSTANCE / "mail"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Convene <convene@localhost>")
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "12"))

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "5 per minute")

    INVITATION_HOURS = int(os.environ.get("INVITATION_HOURS", str(7 * 24)))
    RESET_HOURS = int(os.environ.get("RESET_HOURS", "2"))
    # argon2 cost; tests lower it so that hashing does not dominate the suite.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536


class DevelopmentConfig(Config):
    DEBUG = False
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "folder")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    MAIL_TRANSPORT = "smtp"
    MAIL_SERVER = "127.0.0.1"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    SERVER_NAME = None
    BASE_URL = "http://convene.test"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

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
