"""Which feeds exist, what each holds, and answering calendar clients cheaply.

Each app instance keeps rendered feeds in memory with the stamps of the scopes each depends
on (see freshness.py and feed_tables.py): an unchanged feed costs one indexed read, a
change committed through any instance changes the stamps every instance reads next, and a
change that a feed does not show leaves it cached.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

import sqlalchemy as sa
from flask import Response, abort, current_app, request
from werkzeug.http import http_date, parse_date, parse_etags, quote_etag

from convene.accounts.models import Organisation, OrganisationKind
from convene.calendar import feed_tables
from convene.calendar.feeds import FeedHeader, RenderedFeed, rendered
from convene.calendar.freshness import read_state
from convene.calendar.models import CalendarSubscription
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
        description=(
            "Your calls, summit registration, agenda, social sessions, tables and peer visits."
        ),
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
    # The (scope, stamp) pairs read before it was built, and the day it was built on (feeds
    # hold a window of days): it is current while both are unchanged.
    stamps: tuple[tuple[str, str | None], ...] = ()
    day: date | None = None

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(scope for scope, _stamp in self.stamps)

    def is_current(self, stamps: Mapping[str, str | None], day: date) -> bool:
        """Whether `stamps` (which must hold each of its scopes) are those it was built under."""
        return (
            bool(self.stamps)
            and self.day == day
            and all(scope in stamps and stamps[scope] == stamp for scope, stamp in self.stamps)
        )

    @cached_property
    def _common(self) -> list[tuple[str, str]]:
        """The headers of a 304 as well: no Last-Modified, which Werkzeug drops from a 304
        (RFC 9110 15.4.5: with an ETag it is not needed), so both paths send the same."""
        from convene import SECURITY_HEADERS

        cache = "private" if self.private else "public"
        headers = [
            ("ETag", quote_etag(self.feed.etag)),
            ("Cache-Control", f"{cache}, max-age={CLIENT_MAX_AGE}"),
            *SECURITY_HEADERS.items(),
        ]
        if self.private:
            headers.append(("X-Robots-Tag", "noindex"))
        return headers

    @cached_property
    def _full(self) -> list[tuple[str, str]]:
        headers = [("Content-Type", CALENDAR_TYPE), ("Content-Length", str(len(self.feed.body)))]
        if self.last_modified is not None:
            headers.append(("Last-Modified", http_date(self.last_modified)))
        return headers + self._common

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


def _dependencies(key: tuple):
    """The scopes a feed depends on, as (names known now, a SELECT of the one more name that
    only the database knows, or None)."""
    kind = key[0]
    if kind == "public":
        return feed_tables.public_scopes(), None
    if kind == "summit":
        return feed_tables.summit_scopes(key[1]), None
    if kind == "partner":
        lookup = sa.select(_scope_name("partner:", Organisation.id)).where(
            Organisation.slug == key[1], Organisation.kind == OrganisationKind.PARTNER
        )
        return (feed_tables.ALL,), lookup
    if kind == "member":
        known = feed_tables.MEMBER_SHARED
        lookup = sa.select(_scope_name("member:", CalendarSubscription.member_id)).where(
            CalendarSubscription.token == key[1]
        )
        return known, lookup
    raise ValueError(f"not a feed: {key!r}")


def _scope_name(prefix: str, column):
    return (sa.cast(sa.literal(prefix), sa.String) + sa.cast(column, sa.String)).label("scope")


def cached_answer(app, key: tuple, read_stamps: Callable[[tuple], Mapping]) -> FeedAnswer | None:
    """This instance's answer for `key` if the stamps of its scopes (read with
    `read_stamps(scopes)`, a missing scope never bumped) are still those it was built under."""
    cache = app.extensions.get("convene_feed_cache")
    answer = None if cache is None else cache.get(key)
    if answer is None or not answer.stamps:
        return None
    found = read_stamps(answer.scopes)
    stamps = {scope: found.get(scope) for scope in answer.scopes}
    return answer if answer.is_current(stamps, utcnow().date()) else None


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
    """The feed for `key` as a Flask response: from this instance's cache while the stamps
    of its scopes are unchanged, else built (and cached with the stamps read before
    building, once its Last-Modified is settled)."""
    known, lookup = _dependencies(key)
    state = read_state(db.session, known, lookup)
    stamps = {scope: stamp for scope, (stamp, _at) in state.items()}
    now = utcnow()
    cache = feed_cache()
    previous = cache.get(key)
    if previous is not None and previous.is_current(stamps, now.date()):
        answer = previous
    else:
        feed = build()
        if feed is None:
            abort(404)
        answer = _new_answer(key, feed, state, previous, now)
        # Without the looked-up scope (a token or slug unknown a moment ago) it cannot be
        # told current later: answered, not kept.
        complete = len(state) == len(known) + (lookup is not None)
        if complete and answer.last_modified is not None:
            cache.put(key, answer)
    status, headers, body = answer.respond(
        request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")
    )
    return Response(body, status=status, headers=headers)


def _new_answer(key, feed: RenderedFeed, state: dict, previous, now: datetime) -> FeedAnswer:
    """Built anew because a scope it depends on changed; if its bytes did not, neither did
    anything it shows, so it keeps the Last-Modified it had."""
    if previous is not None and previous.feed.etag == feed.etag and previous.last_modified:
        last_modified = previous.last_modified
    else:
        changed_at = max((at for _stamp, at in state.values() if at is not None), default=None)
        settle = current_app.config.get("CALENDAR_SETTLE_SECONDS", 1.0)
        last_modified = last_modified_for(feed, changed_at, now, settle)
    return FeedAnswer(
        feed,
        private=_is_private(key),
        last_modified=last_modified,
        stamps=tuple((scope, stamp) for scope, (stamp, _at) in sorted(state.items())),
        day=now.date(),
    )


def download_response(body: bytes, filename: str) -> Response:
    response = Response(body, content_type=CALENDAR_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response
