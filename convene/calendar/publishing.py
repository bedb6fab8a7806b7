"""Which feeds exist, what each holds, and answering calendar clients cheaply.

Each app instance keeps rendered feeds in memory under the database's feed stamp (see
freshness.py): an unchanged feed costs one primary-key read, and a change committed
through any instance changes the stamp every instance reads next.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

import sqlalchemy as sa
from flask import Response, abort, current_app, request

from convene.accounts.models import Organisation, OrganisationKind
from convene.calendar.feeds import FeedHeader, RenderedFeed, rendered
from convene.calendar.freshness import current_stamp
from convene.calendar.sources import FeedKind, FeedScope, events_for, summit_feed_title
from convene.calendar.subscriptions import find_subscription
from convene.extensions import db
from convene.types import utcnow

CALENDAR_TYPE = "text/calendar; charset=utf-8"
CLIENT_MAX_AGE = 300


class FeedCache:
    """A small LRU of rendered feeds, shared by the threads of one process."""

    def __init__(self, size: int = 128):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def feed_cache() -> FeedCache:
    cache = current_app.extensions.get("convene_feed_cache")
    if cache is None:
        cache = current_app.extensions["convene_feed_cache"] = FeedCache()
    return cache


def _programme() -> str:
    return current_app.config["PROGRAMME_NAME"]


def _domain() -> str:
    return current_app.config.get("CALENDAR_UID_DOMAIN", "convene")


# --- the feeds: each returns a RenderedFeed, or None for 404 --------------------------------


def public_feed() -> RenderedFeed:
    header = FeedHeader(
        name=f"{_programme()}: calls and summit",
        uid=f"feed-public@{_domain()}",
        description="Every network call and the summit's public agenda.",
    )
    return rendered(header, events_for(FeedScope(FeedKind.PUBLIC)))


def personal_feed(token: str) -> RenderedFeed | None:
    subscription = find_subscription(token)
    if subscription is None:
        return None
    scope = FeedScope(
        FeedKind.MEMBER,
        member_id=subscription.member_id,
        include_all_calls=subscription.include_all_calls,
        reminder_minutes=subscription.reminder.minutes,
        with_join_details=True,
    )
    header = FeedHeader(
        name=f"{_programme()}: my calendar",
        uid=f"feed-member-{subscription.member_id}@{_domain()}",
        description="Your calls, summit registration, agenda, social sessions and tables.",
    )
    return rendered(header, events_for(scope), changed_at=subscription.updated_at)


def partner_feed(slug: str) -> RenderedFeed | None:
    partner = db.session.scalar(
        sa.select(Organisation).where(
            Organisation.slug == slug, Organisation.kind == OrganisationKind.PARTNER
        )
    )
    if partner is None:
        return None
    header = FeedHeader(
        name=f"{_programme()}: calls hosted by {partner.name}",
        uid=f"feed-partner-{partner.id}@{_domain()}",
    )
    return rendered(header, events_for(FeedScope(FeedKind.PARTNER, organisation_id=partner.id)))


def summit_feed(summit_id: int) -> RenderedFeed | None:
    title = summit_feed_title(summit_id)
    if title is None:
        return None
    header = FeedHeader(name=f"{_programme()}: {title}", uid=f"feed-summit-{summit_id}@{_domain()}")
    return rendered(header, events_for(FeedScope(FeedKind.SUMMIT, summit_id=summit_id)))


# --- answering a request -------------------------------------------------------------------


def feed_response(key: tuple, build: Callable[[], RenderedFeed | None], private: bool):
    """The feed for `key`, from this instance's cache while the feed stamp is unchanged.

    Answers 304 to a matching If-None-Match or If-Modified-Since, and HEAD without a body.
    """
    stamp = current_stamp(db.session)
    cache_key = (stamp, utcnow().date(), key)
    feed = feed_cache().get(cache_key) if stamp is not None else None
    if feed is None:
        feed = build()
        if feed is None:
            abort(404)
        if stamp is not None:
            feed_cache().put(cache_key, feed)
    response = Response(feed.body, content_type=CALENDAR_TYPE)
    response.set_etag(feed.etag)
    response.last_modified = feed.last_modified
    response.headers["Cache-Control"] = (
        f"private, max-age={CLIENT_MAX_AGE}" if private else f"public, max-age={CLIENT_MAX_AGE}"
    )
    if private:
        response.headers["X-Robots-Tag"] = "noindex"
    return response.make_conditional(request)


def download_response(body: bytes, filename: str) -> Response:
    response = Response(body, content_type=CALENDAR_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response
