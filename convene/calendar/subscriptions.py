"""A member's personal feed: its secret token, revoking it, and what the feed carries."""

import secrets

import sqlalchemy as sa

from convene.accounts.models import Member
from convene.calendar.models import CalendarSubscription, Reminder
from convene.convenings.conflicts import insert_unless_exists
from convene.extensions import db


def new_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def subscription_for(member: Member) -> CalendarSubscription:
    """The member's subscription, created (not committed) on first use.

    First visits in parallel (two tabs, a calendar app and a browser) make one row: the
    INSERT skips quietly if another request's row is there, and the read after it returns
    that row, since on PostgreSQL the INSERT waits for the other to commit.
    """
    subscription = _existing(member.id)
    if subscription is None:
        insert_unless_exists(
            CalendarSubscription,
            {"member_id": member.id, "token": new_token()},
            ["member_id"],
        )
        subscription = _existing(member.id)
    return subscription


def _existing(member_id: int) -> CalendarSubscription | None:
    return db.session.scalar(
        sa.select(CalendarSubscription).where(CalendarSubscription.member_id == member_id)
    )


def regenerate_token(subscription: CalendarSubscription) -> str:
    """Revoke the current URL: the old token answers 404 from the next request on."""
    subscription.token = new_token()
    return subscription.token


def set_preferences(
    subscription: CalendarSubscription, include_all_calls: bool, reminder: Reminder
) -> None:
    subscription.include_all_calls = include_all_calls
    subscription.reminder = Reminder(reminder)


def find_subscription(token: str) -> CalendarSubscription | None:
    """The subscription behind a feed URL, only while its member is active."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        sa.select(CalendarSubscription)
        .join(Member, Member.id == CalendarSubscription.member_id)
        .where(CalendarSubscription.token == token, Member.active.is_(True))
    )
