"""A member's own password and email address: changed only with the current password.

A new password ends every other session (the view signs this browser in again). A new
address takes effect only when a link sent to it is opened: the link is a signed, expiring
token naming the member, the new address, and digests of the current address and of the
session token. Once the address changes, or the member changes their password or signs out
everywhere (which replace the session token), the link no longer matches and stops
working, so it works once and a member who suspects someone else asked can void it.
"""

import hashlib
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select

from convene.accounts.invitations import AccountError, set_password
from convene.accounts.models import Member, normalise_email
from convene.accounts.passwords import verify_password
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.notifications.outbox import queue_email
from convene.urls import external_url

EMAIL_CHANGE_SALT = "convene-email-change"
WRONG_PASSWORD = "That is not your current password."


def check_current_password(member: Member, password: str) -> None:
    if not verify_password(member, password or ""):
        raise AccountError(WRONG_PASSWORD, field="current_password")


def change_password(member: Member, current: str, new: str) -> None:
    """Set a new password (ending every session) once the current one is proven; the
    member is told by email, in case it was not them."""
    check_current_password(member, current)
    set_password(member, new)
    record_action(ActionKind.PASSWORD_CHANGED, member, member=member)


# --- email address ---------------------------------------------------------------------------


def email_change_hours() -> int:
    return current_app.config["EMAIL_CHANGE_HOURS"]


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=EMAIL_CHANGE_SALT)


def _binding(member: Member) -> list[str]:
    """What must still hold when the link is opened: digests of the current address and of
    the session token (the link's payload is readable by whoever holds it)."""
    return [_digest(member.email), _digest(member.session_token)]


def email_change_token(member: Member, new_email: str) -> str:
    """A short token (a list, 64-bit digests): it is part of a link's path."""
    return _serializer().dumps([member.id, new_email, *_binding(member)])


def address_taken(email: str, member: Member) -> bool:
    other = db.session.scalar(
        select(Member.id).where(Member.email == normalise_email(email), Member.id != member.id)
    )
    return other is not None


def ask_email_change(member: Member, current_password: str, new_email: str) -> str:
    """Send a confirmation link to the new address and tell the current one; nothing
    changes until the link is opened. Returns the new address, normalised."""
    check_current_password(member, current_password)
    new_email = normalise_email(new_email)
    if new_email == member.email:
        raise AccountError("That is already your address.", field="email")
    if address_taken(new_email, member):
        raise AccountError(
            "Another account uses that address. Choose another, or ask the programme team.",
            field="email",
        )
    token = email_change_token(member, new_email)
    hours = email_change_hours()
    queue_email(
        new_email,
        "Confirm your new email address for Convene",
        "accounts/email_change_confirm",
        member=member,
        new_email=new_email,
        link=external_url("accounts.confirm_email", token=token),
        hours=hours,
    )
    record_action(ActionKind.EMAIL_CHANGE_ASKED, member, member=member, after={"email": new_email})
    return new_email


@dataclass(frozen=True)
class EmailChange:
    member: Member
    new_email: str


def find_email_change(token: str) -> EmailChange | None:
    """The change a link asks for, or None when it is forged, expired, already used, or
    voided (the address or the session token changed since, or the member is gone)."""
    try:
        data = _serializer().loads(token or "", max_age=email_change_hours() * 3600)
    except (BadData, UnicodeError, ValueError):
        return None
    if not isinstance(data, list) or len(data) != 4:
        return None
    member_id, new_email, *binding = data
    if not isinstance(member_id, int) or not isinstance(new_email, str):
        return None
    member = db.session.get(Member, member_id)
    if member is None or not member.active or binding != _binding(member):
        return None
    return EmailChange(member, normalise_email(new_email))


def confirm_email_change(change: EmailChange) -> None:
    """Give the member the new address. The old address is told first (the action's mail
    goes to the address the member has when it is recorded). A second account taking the
    address meanwhile is refused here, or by the unique index at the flush."""
    member = change.member
    if address_taken(change.new_email, member):
        raise AccountError("Another account now uses that address.", field="email")
    before = member.email
    record_action(
        ActionKind.EMAIL_CHANGED,
        member,  # whoever opened the link proved they read the new address's mail
        member=member,
        before={"email": before},
        after={"email": change.new_email},
    )
    member.email = change.new_email
    db.session.flush()
