"""Migration 0006 gives every existing member a token of their own, and keeps every row that
points at a member (SQLite rebuilds the members table to make the column NOT NULL)."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from convene.extensions import db
from tests.conftest import BACKEND

BEFORE = "0005_calendar"


def _count(table: str) -> int:
    return db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def test_existing_members_get_distinct_tokens_and_keep_their_rows(make_app, empty_database_url):
    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        db.session.execute(
            text(
                "INSERT INTO organisations (kind, name, slug, state, population, zone, created_at)"
                " VALUES ('city', 'Tulsa', 'tulsa-ok', 'OK', 403505, 'America/Chicago',"
                " '2026-01-01 00:00:00')"
            )
        )
        for n in range(3):
            db.session.execute(
                text(
                    "INSERT INTO members (email, name, organisation_id, role, active, created_at)"
                    f" VALUES ('p{n}@tulsa.example.org', 'P{n}', 1, 'member', true,"
                    " '2026-01-01 00:00:00')"
                )
            )
            db.session.execute(
                text(
                    "INSERT INTO member_tokens"
                    " (member_id, purpose, token_hash, created_at, expires_at)"
                    f" VALUES ({n + 1}, 'invitation', 'hash{n}', '2026-01-01 00:00:00',"
                    " '2027-01-01 00:00:00')"
                )
            )
        db.session.commit()
        db.session.remove()

        upgrade()
        tokens = db.session.execute(text("SELECT session_token FROM members")).scalars().all()
        assert len(tokens) == 3 and len(set(tokens)) == 3 and all(len(t) >= 40 for t in tokens)
        assert _count("member_tokens") == 3  # not deleted along with the rebuilt table
        with pytest.raises(Exception, match="(?i)unique|duplicate"):
            db.session.execute(text(f"UPDATE members SET session_token = '{tokens[0]}'"))
        db.session.rollback()
        if BACKEND == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        db.session.remove()

        downgrade(revision=BEFORE)
        assert _count("members") == 3 and _count("member_tokens") == 3
        db.session.remove()
        db.engine.dispose()
