"""Invitations and password resets: emailed, expiring, single-use links."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from convene.accounts.models import Member, MemberToken, Organisation, Role, TokenPurpose
from convene.accounts.passwords import hash_password
from convene.extensions import db
from convene.notifications.outbox import queue_email
from convene.types import utcnow
from convene.urls import external_url


class AccountError(ValueError):
    """A refusal to show the person as it is."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(member: Member, purpose: TokenPurpose, hours: int) -> str:
    secret = secrets.token_urlsafe(32)
    db.session.add(
        MemberToken(
            member=member,
            purpose=purpose,
            token_hash=_digest(secret),
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    return secret


def find_token(secret: str, purpose: TokenPurpose) -> MemberToken | None:
    """The live token for a secret, or None when unknown, used, expired or its member gone."""
    token = db.session.scalar(
        select(MemberToken).where(
            MemberToken.token_hash == _digest(secret or ""), MemberToken.purpose == purpose
        )
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    if not token.member.active:
        return None
    return token


def use_token(token: MemberToken) -> bool:
    """Mark the token used; False if another request used it first (settled by the UPDATE)."""
    result = db.session.execute(
        update(MemberToken)
        .where(MemberToken.id == token.id, MemberToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return result.rowcount == 1


def invite_member(
    invited_by: Member,
    organisation: Organisation,
    email: str,
    name: str,
    role: Role = Role.MEMBER,
    title: str | None = None,
) -> Member:
    email = email.strip().lower()
    if db.session.scalar(select(Member.id).where(Member.email == email)) is not None:
        raise AccountError(f"{email} already has an account.")
    check_role_fits(role, organisation)
    member = Member(
        email=email, name=name.strip(), organisation=organisation, role=role, title=title
    )
    db.session.add(member)
    db.session.flush()
    secret = issue_token(member, TokenPurpose.INVITATION, current_app.config["INVITATION_HOURS"])
    queue_email(
        member.email,
        f"{invited_by.name} invited you to {current_app.config['PROGRAMME_NAME']} on Convene",
        "accounts/invitation",
        member=member,
        invited_by=invited_by,
        link=external_url("accounts.accept_invitation", token=secret),
        hours=current_app.config["INVITATION_HOURS"],
    )
    return member


def check_role_fits(role: Role, organisation: Organisation) -> None:
    if role == Role.CHAMPION and not organisation.is_city:
        raise AccountError("Only a city has a champion.")
    if role == Role.HOST and not organisation.is_partner:
        raise AccountError("Hosts are staff of a partner organisation.")
    if role == Role.ADMIN and organisation.kind != "programme":
        raise AccountError("Admins are programme staff.")
    if role == Role.CHAMPION:
        existing = db.session.scalar(
            select(Member).where(
                Member.organisation_id == organisation.id,
                Member.role == Role.CHAMPION,
                Member.active.is_(True),
            )
        )
        if existing is not None:
            raise AccountError(f"{organisation.name} already has a champion: {existing.name}.")


def accept_invitation(token: MemberToken, password: str) -> Member:
    if not use_token(token):
        raise AccountError("This invitation link has already been used.")
    token.member.password_hash = hash_password(password)
    return token.member


def request_password_reset(email: str) -> None:
    """Email a reset link if the address belongs to an active member; say nothing either way."""
    member = db.session.scalar(select(Member).where(Member.email == email.strip().lower()))
    if member is None or not member.active:
        return
    secret = issue_token(member, TokenPurpose.PASSWORD_RESET, current_app.config["RESET_HOURS"])
    queue_email(
        member.email,
        "Reset your Convene password",
        "accounts/password_reset",
        member=member,
        link=external_url("accounts.reset_password", token=secret),
        hours=current_app.config["RESET_HOURS"],
    )


def reset_password(token: MemberToken, password: str) -> Member:
    if not use_token(token):
        raise AccountError("This reset link has already been used.")
    token.member.password_hash = hash_password(password)
    return token.member
