"""The emailed links an applicant, who has no account, reaches their application by.

A link has one purpose: a draft link opens the form (and expires after
APPLICATION_DRAFT_DAYS, or when the application is submitted), a status link opens the
status page (and never expires). Only a hash of the secret is stored, so a copy of the
database opens nothing.
"""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from convene.applications.models import Application, ApplicationLink, LinkPurpose
from convene.extensions import db
from convene.types import utcnow

SECRET_MAX = 100  # longer than any secret issued: not looked up


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def issue_link(application: Application, purpose: LinkPurpose) -> str:
    """A new link's secret (only its hash is kept: mail it now or never)."""
    secret = secrets.token_urlsafe(32)
    expires_at = None
    if purpose == LinkPurpose.DRAFT:
        expires_at = utcnow() + timedelta(days=current_app.config["APPLICATION_DRAFT_DAYS"])
    db.session.add(
        ApplicationLink(
            application=application,
            purpose=purpose,
            token_hash=_digest(secret),
            expires_at=expires_at,
        )
    )
    return secret


def find_link(secret: str, purpose: LinkPurpose) -> ApplicationLink | None:
    """The live link of this purpose for a secret: None when unknown, of the other purpose,
    retired or expired."""
    if not secret or len(secret) > SECRET_MAX:
        return None
    link = db.session.scalar(
        sa.select(ApplicationLink)
        .where(
            ApplicationLink.token_hash == _digest(secret),
            ApplicationLink.purpose == purpose,
            ApplicationLink.retired_at.is_(None),
        )
        .options(joinedload(ApplicationLink.application))
    )
    if link is None or (link.expires_at is not None and link.expires_at <= utcnow()):
        return None
    return link


def retire_links(application: Application, purpose: LinkPurpose) -> None:
    """Every live link of this purpose stops working (a submitted draft is not edited)."""
    db.session.execute(
        sa.update(ApplicationLink)
        .where(
            ApplicationLink.application_id == application.id,
            ApplicationLink.purpose == purpose,
            ApplicationLink.retired_at.is_(None),
        )
        .values(retired_at=utcnow())
    )
