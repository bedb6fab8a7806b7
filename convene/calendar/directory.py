"""The feeds anyone may subscribe to, in the order the Calendars page shows them: the public
calendar, each partner's calls, the current summit. Two queries, however many partners."""

from dataclasses import dataclass, field

from flask import current_app, url_for
from sqlalchemy import select

from convene.accounts.models import Organisation, OrganisationKind
from convene.extensions import db


@dataclass(frozen=True)
class Feed:
    """One feed as a page offers it: `label` completes "Subscribe to ..."; `key` keeps the ids
    of its copy field unique on the page."""

    title: str
    label: str
    description: str
    endpoint: str
    key: str
    values: dict = field(default_factory=dict)
    page_url: str | None = None


def public_calendar() -> Feed:
    return Feed(
        title="Public calendar",
        label="the public calendar",
        description="Every call of the network, without join details, the summit's public "
        "agenda, and visits between cities that are public.",
        endpoint="calendar.public",
        key="public-feed",
        page_url=url_for("convenings.upcoming") if _has("convenings.upcoming") else None,
    )


def partner_feeds() -> list[Feed]:
    """Each partner's calls, by partner name."""
    partners = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.slug)
        .where(Organisation.kind == OrganisationKind.PARTNER)
        .order_by(Organisation.name)
    ).all()
    has_page = _has("convenings.partner")
    return [
        Feed(
            title=name,
            label=f"{name}'s calls",
            description="Only the calls it hosts.",
            endpoint="calendar.partner",
            key=f"partner-feed-{partner_id}",
            values={"slug": slug},
            page_url=url_for("convenings.partner", slug=slug) if has_page else None,
        )
        for partner_id, name, slug in partners
    ]


def summit_feed() -> Feed | None:
    """The current summit's days, public agenda and social sessions, if there is a summit."""
    from convene.summit.agenda import current_summit

    summit = current_summit()
    if summit is None:
        return None
    return Feed(
        title=summit.name,
        label=f"the {summit.name} programme",
        description="Its days, public agenda and social sessions.",
        endpoint="calendar.summit",
        key="summit-feed",
        values={"summit_id": summit.id},
        page_url=url_for("summit.show", slug=summit.slug) if _has("summit.show") else None,
    )


def _has(endpoint: str) -> bool:
    return endpoint in current_app.view_functions
