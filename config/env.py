"""The only module that reads os.environ: every deployment knob is named here."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def database_from_env() -> dict[str, object]:
    """CRM_DATABASE_URL-like split settings; SQLite file when nothing is set."""
    engine = env_str("CRM_DB_ENGINE", "sqlite")
    if engine == "postgresql":
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env_str("CRM_DB_NAME", "crm"),
            "USER": env_str("CRM_DB_USER", "postgres"),
            "PASSWORD": env_str("CRM_DB_PASSWORD", ""),
            "HOST": env_str("CRM_DB_HOST", "127.0.0.1"),
            "PORT": env_str("CRM_DB_PORT", "5432"),
            "CONN_MAX_AGE": env_int("CRM_DB_CONN_MAX_AGE", 60),
            "TEST": {"NAME": env_str("CRM_DB_TEST_NAME", "test_crm")},
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("CRM_SQLITE_PATH", str(BASE_DIR / "var" / "crm.sqlite3")),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        "TEST": {"NAME": env_str("CRM_SQLITE_TEST_PATH", "")} if env_str("CRM_SQLITE_TEST_PATH") else {},
    }
