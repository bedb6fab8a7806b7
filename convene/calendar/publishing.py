"""Which feeds exist, what each holds, and answering calendar clients cheaply.

Each app instance keeps rendered feeds in memory under the database's feed stamp (see
freshness.py): an unchanged feed costs one primary-key read, and a change committed
through any instance changes the stamp every instance reads next.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

import sqlalchemy as sa
from flask import Response, abort, current_app, request
from werkzeug.http import http_date, parse_date, parse_etags, quote_etag

from convene.accounts.models import Organisation, OrganisationKind
from convene.calendar.feeds import FeedHeader, RenderedFeed, rendered
from convene.calendar.freshness import current_state
from convene.calendar.sources import (
    FeedKind,
    FeedScope,
    events_for,
    summit_feed_title,
    uid_domain,
)
from convene.calendar.subscriptions import find_subscription
from convene.extensions import db
from convene.types import utcnow

CALENDAR_TYPE = "text/calendar; charset=utf-8"
CLIENT_MAX_AGE = 300


class FeedCache:
    """A small LRU of feed answers, shared by the threads of one process, bounded both in
    entries and in bytes held."""

    def __init__(self, size: int = 256, max_bytes: int = 64 * 1024 * 1024):
        self.size = size
        self.max_bytes = max_bytes
        self._bytes = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key, answer: "FeedAnswer") -> None:
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous.feed.body)
            self._items[key] = answer
            self._bytes += len(answer.feed.body)
            while len(self._items) > 1 and (
                len(self._items) > self.size or self._bytes > self.max_bytes
            ):
                _key, evicted = self._items.popitem(last=False)
                self._bytes -= len(evicted.feed.body)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


def feed_cache() -> FeedCache:
    cache = current_app.extensions.get("convene_feed_cache")
    if cache is None:
        cache = current_app.extensions["convene_feed_cache"] = FeedCache()
    return cache


def _programme() -> str:
    return current_app.config["PROGRAMME_NAME"]


def _domain() -> str:
    return uid_domain()


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


@dataclass(frozen=True)
class FeedAnswer:
    """A rendered feed with its headers, ready to answer GET, HEAD and conditional GETs."""

    feed: RenderedFeed
    private: bool
    # None while a change is under a second old: see last_modified_for.
    last_modified: datetime | None

    @cached_property
    def _common(self) -> list[tuple[str, str]]:
        from convene import SECURITY_HEADERS

        cache = "private" if self.private else "public"
        headers = [("ETag", quote_etag(self.feed.etag))]
        if self.last_modified is not None:
            headers.append(("Last-Modified", http_date(self.last_modified)))
        headers += [
            ("Cache-Control", f"{cache}, max-age={CLIENT_MAX_AGE}"),
            *SECURITY_HEADERS.items(),
        ]
        if self.private:
            headers.append(("X-Robots-Tag", "noindex"))
        return headers

    @cached_property
    def _full(self) -> list[tuple[str, str]]:
        return [
            ("Content-Type", CALENDAR_TYPE),
            ("Content-Length", str(len(self.feed.body))),
            *self._common,
        ]

    def is_fresh_for(self, if_none_match: str | None, if_modified_since: str | None) -> bool:
        """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
        if if_none_match:
            return parse_etags(if_none_match).contains_weak(self.feed.etag)
        if if_modified_since and self.last_modified is not None:
            since = parse_date(if_modified_since)
            return since is not None and self.last_modified <= since
        return False

    def respond(self, if_none_match: str | None, if_modified_since: str | None):
        """(status, headers, body); the caller leaves the body out for HEAD."""
        if self.is_fresh_for(if_none_match, if_modified_since):
            return 304, list(self._common), b""
        return 200, list(self._full), self.feed.body


# Which endpoints are feeds, and the cache key of each (the same in Flask and the fast path).
FEED_ENDPOINTS = {
    "calendar.public": (lambda args: ("public",), False),
    "calendar.personal": (lambda args: ("member", args["token"]), True),
    "calendar.partner": (lambda args: ("partner", args["slug"]), False),
    "calendar.summit": (lambda args: ("summit", args["summit_id"]), False),
}


def feed_key(endpoint: str, args: dict) -> tuple | None:
    entry = FEED_ENDPOINTS.get(endpoint)
    return None if entry is None else entry[0](args)


def _is_private(key: tuple) -> bool:
    return key[0] == "member"


def cached_answer(app, stamp: str | None, key: tuple) -> FeedAnswer | None:
    if stamp is None:
        return None
    cache = app.extensions.get("convene_feed_cache")
    return None if cache is None else cache.get((stamp, utcnow().date(), key))


def last_modified_for(
    feed: RenderedFeed, changed_at: datetime | None, now: datetime, settle: float = 1.0
):
    """When the feed last changed, to the second, or None if that is not yet knowable.

    Events' own times miss removals (an RSVP turned to no, a deleted call), so the feed
    stamp's time counts too: no later than any change this feed saw, so If-Modified-Since
    never gets a wrong 304. HTTP dates have whole seconds, so the time is rounded up, and a
    change less than a second old gets no Last-Modified (another may follow in that second).
    """
    if changed_at is None:
        return _ceil_second(feed.last_modified)
    if now - changed_at < timedelta(seconds=settle):
        return None
    return _ceil_second(max(feed.last_modified, changed_at))


def _ceil_second(instant: datetime) -> datetime:
    whole = instant.replace(microsecond=0)
    return whole if whole == instant else whole + timedelta(seconds=1)


def feed_response(key: tuple, build: Callable[[], RenderedFeed | None]) -> Response:
    """The feed for `key` as a Flask response: from this instance's cache while the feed
    stamp is unchanged, else built (and cached under the stamp read before building, once
    its Last-Modified is settled)."""
    stamp, changed_at = current_state(db.session)
    answer = cached_answer(current_app, stamp, key)
    if answer is None:
        feed = build()
        if feed is None:
            abort(404)
        now = utcnow()
        settle = current_app.config.get("CALENDAR_SETTLE_SECONDS", 1.0)
        last_modified = last_modified_for(feed, changed_at, now, settle)
        answer = FeedAnswer(feed, private=_is_private(key), last_modified=last_modified)
        if stamp is not None and last_modified is not None:
            feed_cache().put((stamp, now.date(), key), answer)
    status, headers, body = answer.respond(
        request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")
    )
    return Response(body, status=status, headers=headers)


def download_response(body: bytes, filename: str) -> Response:
    response = Response(body, content_type=CALENDAR_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response
