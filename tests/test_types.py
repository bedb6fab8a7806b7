from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from convene.accounts.models import Member
from convene.extensions import db


def test_an_instant_is_stored_as_naive_utc_and_read_back_aware(make_member):
    member = make_member()
    pacific = timezone(timedelta(hours=-8))
    member.last_sign_in_at = datetime(2026, 11, 27, 12, 0, tzinfo=pacific)
    db.session.commit()
    stored = db.session.execute(
        text("SELECT last_sign_in_at FROM members WHERE id = :id"), {"id": member.id}
    ).scalar()
    assert str(stored).startswith("2026-11-27 20:00:00")
    db.session.expire_all()
    read = db.session.get(Member, member.id).last_sign_in_at
    assert read == datetime(2026, 11, 27, 20, 0, tzinfo=UTC) and read.tzinfo is UTC


def test_a_naive_datetime_is_refused(make_member):
    member = make_member()
    member.last_sign_in_at = datetime(2026, 11, 27, 12, 0)
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.commit()
    db.session.rollback()


def test_enums_are_stored_as_their_values_and_checked(make_member):
    member = make_member("champion")
    stored = db.session.execute(
        text("SELECT role FROM members WHERE id = :id"), {"id": member.id}
    ).scalar()
    assert stored == "champion"
    with pytest.raises(IntegrityError):
        db.session.execute(
            text("UPDATE members SET role = 'king' WHERE id = :id"), {"id": member.id}
        )
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(Member.role)) == "champion"
