import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from convene.extensions import db
from convene.types import UTCDateTime, enum_type, utcnow
from convene.zones import zone


class OrganisationKind(enum.StrEnum):
    CITY = "city"
    PARTNER = "partner"
    PROGRAMME = "programme"


class Role(enum.StrEnum):
    MEMBER = "member"
    CHAMPION = "champion"
    HOST = "host"
    ADMIN = "admin"


# Not in token_urlsafe's alphabet, so the token before it is unambiguous.
SESSION_ID_SEPARATOR = "."


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        sa.CheckConstraint(
            "kind != 'city' OR (state IS NOT NULL AND population IS NOT NULL)",
            name="city_has_state_and_population",
        ),
        sa.CheckConstraint("population IS NULL OR population > 0", name="population_positive"),
        sa.CheckConstraint(
            "latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude_range"
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude_range"
        ),
        sa.CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="coordinates_paired"),
        sa.CheckConstraint(
            "visits_hosted_cap IS NULL OR visits_hosted_cap >= 0", name="visits_cap_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind))
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    state: Mapped[str | None] = mapped_column(sa.String(2))
    population: Mapped[int | None]
    zone: Mapped[str] = mapped_column(sa.String(64))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the city is (for the distance between cities when suggesting visits).
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # The most peer visits the city hosts in a year (None: no limit; visits/matching.py).
    visits_hosted_cap: Mapped[int | None]

    members: Mapped[list["Member"]] = relationship(
        back_populates="organisation", order_by="Member.name"
    )

    @validates("zone")
    def _check_zone(self, _key, value: str) -> str:
        zone(value)  # raises ZoneError, a ValueError, for a name zoneinfo does not know
        return value

    @property
    def is_city(self) -> bool:
        return self.kind == OrganisationKind.CITY

    @property
    def is_partner(self) -> bool:
        return self.kind == OrganisationKind.PARTNER

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}" if self.is_city and self.state else self.name

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class Member(UserMixin, db.Model):
    __tablename__ = "members"
    __table_args__ = (
        # One champion per city: the database refuses a second active one.
        sa.Index(
            "uq_members_one_champion",
            "organisation_id",
            unique=True,
            sqlite_where=sa.text("role = 'champion' AND active"),
            postgresql_where=sa.text("role = 'champion' AND active"),
        ),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    title: Mapped[str | None] = mapped_column(sa.String(120))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role), default=Role.MEMBER)
    zone: Mapped[str | None] = mapped_column(sa.String(64))
    # The address they sign in to video calls with, when not `email`: breakout rooms are
    # pre-assigned by it (the video service applies a row only to a signed-in address).
    video_email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Every session and remember cookie carries it: replacing it ends them all (sessions.py).
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )

    organisation: Mapped[Organisation] = relationship(back_populates="members")

    @validates("email")
    def _normalise_email(self, _key, value: str) -> str:
        return normalise_email(value)

    @validates("video_email")
    def _normalise_video_email(self, _key, value: str | None) -> str | None:
        return normalise_email(value) if value else None

    @validates("zone")
    def _check_zone(self, _key, value: str | None) -> str | None:
        if value:
            zone(value)
        return value or None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive members
        return self.active

    def get_id(self) -> str | None:
        """Flask-Login's id: the session token, not the primary key, so that it can be revoked."""
        return self.session_token

    def sign_in_id(self) -> str:
        """What one sign-in stores (Flask-Login's `id_attribute`): the session token and a nonce,
        so that each sign-in gets a remember cookie of its own; the token alone decides."""
        return f"{self.session_token}{SESSION_ID_SEPARATOR}{secrets.token_urlsafe(12)}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_host(self) -> bool:
        return self.role == Role.HOST

    @property
    def is_champion(self) -> bool:
        return self.role == Role.CHAMPION

    def has_role(self, role: Role | str) -> bool:
        """Admins hold every role; champion and host each add to member."""
        role = Role(role)
        if self.role == Role.ADMIN or self.role == role:
            return True
        return role == Role.MEMBER

    def __repr__(self) -> str:
        return f"<Member {self.email} {self.role}>"


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


class MemberToken(db.Model):
    """A single-use, expiring link sent by email; only a hash of the secret is stored."""

    __tablename__ = "member_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[TokenPurpose] = mapped_column(enum_type(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()
