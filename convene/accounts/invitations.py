"""Invitations and password resets: emailed, expiring, single-use links."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from convene.accounts.models import (
    Member,
    MemberToken,
    Organisation,
    OrganisationKind,
    Role,
    TokenPurpose,
    normalise_email,
)
from convene.accounts.passwords import hash_password
from convene.accounts.sessions import end_sessions
from convene.extensions import db
from convene.notifications.outbox import queue_email
from convene.types import utcnow
from convene.urls import external_url


class AccountError(ValueError):
    """A refusal to show the person as it is; `field` names the form field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


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
) -> Member | None:
    """Invite a new member: the new member, or None when the address already has an account.

    The inviter is answered the same either way (the caller must not tell them apart), so the
    invitation form does not reveal who has an account; the account's owner is told instead.
    """
    email = normalise_email(email)
    check_role_fits(role, organisation)
    existing = db.session.scalar(select(Member).where(Member.email == email))
    if existing is not None:
        _tell_owner_of_invitation(invited_by, organisation, existing)
        return None
    member = Member(
        email=email, name=name.strip(), organisation=organisation, role=role, title=title
    )
    db.session.add(member)
    db.session.flush()
    send_invitation(invited_by, member)
    return member


def _tell_owner_of_invitation(
    invited_by: Member, organisation: Organisation, member: Member
) -> None:
    queue_email(
        member.email,
        f"{invited_by.name} tried to invite you to {current_app.config['PROGRAMME_NAME']}",
        "accounts/invitation_existing_account",
        member=member,
        invited_by=invited_by,
        organisation=organisation,
        sign_in_link=external_url("accounts.sign_in"),
        forgot_link=external_url("accounts.forgot_password"),
    )


def send_invitation(invited_by: Member, member: Member) -> None:
    """Email a fresh invitation link; earlier links of this member stop working."""
    if member.password_hash is not None:
        raise AccountError(f"{member.name} has already joined.")
    if not member.active:
        raise AccountError(f"{member.name} is deactivated.")
    _retire_tokens(member, TokenPurpose.INVITATION)
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


def _retire_tokens(member: Member, purpose: TokenPurpose) -> None:
    db.session.execute(
        update(MemberToken)
        .where(
            MemberToken.member_id == member.id,
            MemberToken.purpose == purpose,
            MemberToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


def check_role_fits(role: Role, organisation: Organisation, member: Member | None = None) -> None:
    """Refuse a role the organisation cannot hold (`member`: the one being given the role)."""
    if role == Role.CHAMPION and not organisation.is_city:
        raise AccountError("Only a city has a champion.", field="role")
    if role == Role.HOST and not organisation.is_partner:
        raise AccountError("Hosts are staff of a partner organisation.", field="role")
    if role == Role.ADMIN and organisation.kind != OrganisationKind.PROGRAMME:
        raise AccountError("Admins are programme staff.", field="role")
    if role == Role.CHAMPION:
        query = select(Member).where(
            Member.organisation_id == organisation.id,
            Member.role == Role.CHAMPION,
            Member.active.is_(True),
        )
        if member is not None and member.id is not None:
            query = query.where(Member.id != member.id)
        existing = db.session.scalar(query)
        if existing is not None:
            raise AccountError(
                f"{organisation.name} already has a champion: {existing.name}.", field="role"
            )


def set_password(member: Member, password: str) -> None:
    """A new password ends every session the old one opened."""
    member.password_hash = hash_password(password)
    end_sessions(member)


def accept_invitation(token: MemberToken, password: str) -> Member:
    if not use_token(token):
        raise AccountError("This invitation link has already been used.")
    set_password(token.member, password)
    _retire_tokens(token.member, TokenPurpose.INVITATION)
    return token.member


def request_password_reset(email: str) -> None:
    """Email a reset link to an active member, and a note to any other address.

    Either way exactly one message is queued, so neither the page, the outbox nor the time
    taken tells whether the address is registered; only its owner learns that.
    """
    email = normalise_email(email)
    member = db.session.scalar(select(Member).where(Member.email == email))
    if member is None or not member.active:
        queue_email(
            email,
            "Reset your Convene password",
            "accounts/password_reset_no_account",
            email=email,
            forgot_link=external_url("accounts.forgot_password"),
        )
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
    set_password(token.member, password)
    _retire_tokens(token.member, TokenPurpose.PASSWORD_RESET)
    return token.member
