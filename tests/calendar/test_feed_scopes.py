"""Feeds change only when they change: each write bumps the scopes of the feeds that show
it, so sign-ins, votes and other people's RSVPs neither move a feed's validators nor make
any instance rebuild it, and conditional GETs get 304 on the view and the fast path alike."""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from convene.calendar import feed_tables, publishing
from convene.calendar.models import CalendarSubscription, FeedStamp
from convene.calendar.subscriptions import subscription_for
from convene.extensions import db
from convene.summit.models import AgendaPick
from convene.topics.models import Topic, TopicVote
from convene.types import utcnow
from tests.conftest import PASSWORD

# --- the registry ----------------------------------------------------------------------------


def test_every_table_is_classified_as_shown_or_quiet(app):
    """A new table must be listed in convene/calendar/feed_tables.py: QUIET if no feed reads
    it, SHOWN (with the scopes a row bumps) if one does. Until then it bumps every feed."""
    tables = {t.name for t in db.metadata.sorted_tables}
    shown, quiet = set(feed_tables.SHOWN), set(feed_tables.QUIET)
    assert not shown & quiet, f"both shown and quiet: {sorted(shown & quiet)}"
    unclassified = tables - shown - quiet
    assert not unclassified, (
        f"classify {sorted(unclassified)} in convene/calendar/feed_tables.py "
        "(QUIET if no feed reads it, SHOWN otherwise)"
    )
    assert not (shown | quiet) - tables, f"no such tables: {sorted((shown | quiet) - tables)}"


def test_shown_tables_classify_every_column(app):
    """A table that lists the columns feeds show must list the quiet ones too, so that a
    new column is a decision, not a default."""
    for name, rule in feed_tables.SHOWN.items():
        if rule.columns is None:
            continue
        columns = {c.name for c in db.metadata.tables[name].columns}
        assert not rule.columns & rule.quiet, name
        assert rule.columns | rule.quiet == columns, (
            f"{name}: classify {sorted(columns - rule.columns - rule.quiet)}, "
            f"drop {sorted((rule.columns | rule.quiet) - columns)}"
        )
        assert set(rule.also) <= rule.columns, name


# --- a small network with every kind of feed --------------------------------------------------


@dataclass
class World:
    feeds: dict  # name -> URL
    members: dict
    calls: dict
    partners: dict
    summit: object
    public_item: object
    breakout: object


@pytest.fixture
def world(
    app,
    make_call,
    make_member,
    make_org,
    rsvp,
    make_summit,
    make_agenda_item,
    make_registration,
):
    """Partners A and B host a call each; X said yes to A's call, Y answered nothing, Z
    takes every call; X is at the summit, which has a public plenary and a breakout."""
    partner_a = make_org("partner", slug="partner-a")
    partner_b = make_org("partner", slug="partner-b")
    call_a = make_call(host_organisation=partner_a)
    call_b = make_call(day=utcnow().date() + timedelta(days=5), host_organisation=partner_b)
    x, y, z = make_member(), make_member(), make_member()
    rsvp(call_a, x, "yes")
    summit = make_summit()
    public_item = make_agenda_item(summit, is_public=True)
    breakout = make_agenda_item(summit, kind="breakout", title="Open data", is_public=False)
    make_registration(summit, x)
    db.session.add(AgendaPick(agenda_item_id=breakout.id, member_id=x.id))
    tokens = {}
    for name, member in (("x", x), ("y", y), ("z", z)):
        subscription = subscription_for(member)
        subscription.include_all_calls = name == "z"
        tokens[name] = subscription.token
    db.session.commit()
    _backdate()
    feeds = {
        "public": "/calendar/public.ics",
        "partner a": "/calendar/partners/partner-a.ics",
        "partner b": "/calendar/partners/partner-b.ics",
        "summit": f"/calendar/summits/{summit.id}.ics",
        **{f"member {n}": f"/calendar/me/{t}.ics" for n, t in tokens.items()},
    }
    return World(
        feeds,
        {"x": x, "y": y, "z": z},
        {"a": call_a, "b": call_b},
        {"a": partner_a, "b": partner_b},
        summit,
        public_item,
        breakout,
    )


def _backdate() -> None:
    """Every change so far ten seconds ago, so that a change now is a later HTTP date."""
    earlier = utcnow() - timedelta(seconds=10)
    for table in db.metadata.sorted_tables:
        if "updated_at" in table.c and table.name in feed_tables.SHOWN:
            db.session.execute(table.update().values(updated_at=earlier))
    db.session.commit()
    db.session.execute(update(FeedStamp).values(changed_at=earlier))
    db.session.commit()


class Polls:
    """GETs every feed, noting its validators, whether the view answered (else the fast
    path did) and whether the feed was built."""

    def __init__(self, client, feeds, monkeypatch):
        self.client, self.feeds = client, feeds
        self.views = self.builds = 0
        view, build = publishing.feed_response, publishing.rendered

        def counted_view(*args, **kwargs):
            self.views += 1
            return view(*args, **kwargs)

        def counted_build(*args, **kwargs):
            self.builds += 1
            return build(*args, **kwargs)

        monkeypatch.setattr("convene.calendar.routes.feed_response", counted_view)
        monkeypatch.setattr(publishing, "rendered", counted_build)

    def get(self, url, **headers):
        views, builds = self.views, self.builds
        response = self.client.get(url, headers=headers)
        assert response.status_code in (200, 304), (url, response.status_code)
        return response, self.views > views, self.builds > builds

    def all(self) -> dict:
        """name -> (ETag, Last-Modified, rebuilt)."""
        seen = {}
        for name, url in self.feeds.items():
            response, _view, built = self.get(url)
            assert response.headers.get("Last-Modified"), name
            seen[name] = (response.headers["ETag"], response.headers["Last-Modified"], built)
        return seen


@pytest.fixture
def polls(client, world, monkeypatch):
    polls = Polls(client, world.feeds, monkeypatch)
    first = polls.all()
    assert all(built for *_v, built in first.values())
    views = polls.views
    again = polls.all()
    assert not any(built for *_v, built in again.values())  # all from the cache,
    assert polls.views == views  # answered by the fast path
    return polls


def changes(polls: Polls, before: dict):
    """(feeds whose ETag changed, whose Last-Modified changed, that were rebuilt)."""
    after = polls.all()
    etags = {n for n in after if after[n][0] != before[n][0]}
    dates = {n for n in after if after[n][1] != before[n][1]}
    rebuilt = {n for n in after if after[n][2]}
    return etags, dates, rebuilt


def test_signing_in_changes_no_feed(world, polls, client):
    before = polls.all()
    member = world.members["x"]
    response = client.post("/sign-in", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.last_sign_in_at is not None
    assert changes(polls, before) == (set(), set(), set())


def test_a_vote_changes_no_feed(world, polls, client_for):
    topic = Topic(title="Open budgets", proposer=world.members["y"])
    db.session.add(topic)
    db.session.commit()
    before = polls.all()
    response = client_for(world.members["x"]).post(
        f"/topics/{topic.id}/vote", data={"support": "yes"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(TopicVote.id).where(TopicVote.topic_id == topic.id))
    assert changes(polls, before) == (set(), set(), set())


def test_an_rsvp_changes_only_that_members_feed(world, polls, client_for):
    before = polls.all()
    call = world.calls["b"]
    response = client_for(world.members["y"]).post(f"/calls/{call.id}/rsvp", data={"answer": "yes"})
    assert response.status_code == 302
    assert changes(polls, before) == ({"member y"}, {"member y"}, {"member y"})
    # Z takes every call: their own RSVP rebuilds their feed, whose bytes and date stay.
    before = polls.all()
    client_for(world.members["z"]).post(f"/calls/{call.id}/rsvp", data={"answer": "maybe"})
    assert changes(polls, before) == (set(), set(), {"member z"})


def test_a_call_move_changes_public_its_partner_and_its_subscribers(world, polls):
    before = polls.all()
    call = world.calls["a"]
    call.starts_at += timedelta(hours=2)
    call.bump_revision()
    db.session.commit()
    etags, dates, rebuilt = changes(polls, before)
    shown = {"public", "partner a", "member x", "member z"}
    assert etags == dates == shown
    # Y's feed depends on every call (it could have said yes): rebuilt, but unchanged.
    assert rebuilt == shown | {"member y"}


def test_a_summit_agenda_change_changes_the_feeds_that_show_it(world, polls):
    before = polls.all()
    world.public_item.room = "Ballroom"
    db.session.commit()
    etags, dates, rebuilt = changes(polls, before)
    # The plenary is public, in the summit's feed, and in X's (X is registered).
    assert etags == dates == {"public", "summit", "member x"}
    assert rebuilt == {"public", "summit", "member x", "member y", "member z"}
    _backdate()  # so that the next change is a later second
    before = polls.all()
    world.breakout.room = "Room 2"
    db.session.commit()
    etags, dates, rebuilt = changes(polls, before)
    assert etags == dates == {"member x"}  # a breakout X picked: in no public feed
    assert rebuilt == {"member x", "member y", "member z"}


def test_changing_preferences_or_revoking_a_token_changes_that_feed_only(world, polls):
    before = polls.all()
    subscription = db.session.get(CalendarSubscription, subscription_for(world.members["y"]).id)
    subscription.include_all_calls = True
    db.session.commit()
    assert changes(polls, before) == ({"member y"}, {"member y"}, {"member y"})


@pytest.mark.parametrize("path", ["fast path", "view"])
def test_conditional_gets_get_304_while_nothing_shown_changed(world, polls, client_for, path):
    url = world.feeds["member x"]
    first, _view, _built = polls.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    topic = Topic(title="Open budgets", proposer=world.members["y"])
    db.session.add(topic)
    db.session.commit()
    client_for(world.members["y"]).post(
        f"/calls/{world.calls['b'].id}/rsvp", data={"answer": "yes"}
    )
    client_for(world.members["x"]).post(f"/topics/{topic.id}/vote", data={"support": "yes"})
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        if path == "view":
            publishing.feed_cache().clear()
        response, by_view, _built = polls.get(url, **headers)
        assert response.status_code == 304 and response.data == b""
        assert by_view == (path == "view")
        assert response.headers["ETag"] == etag and "Last-Modified" not in response.headers
        entity = {"Content-Type", "Content-Length", "Last-Modified"}
        assert {k for k, _v in response.headers} - {"Vary"} == {
            k for k, _v in first.headers if k not in entity | {"Vary"}
        }
    # A change it shows: 200 on either path, with new validators.
    client_for(world.members["x"]).post(
        f"/calls/{world.calls['b'].id}/rsvp", data={"answer": "yes"}
    )
    if path == "view":
        publishing.feed_cache().clear()
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        response, by_view, _built = polls.get(url, **headers)
        assert response.status_code == 200 and response.headers["ETag"] != etag
        assert response.headers["Last-Modified"] != modified


# --- the tables feeds read are the tables classified as shown --------------------------------


def test_building_every_feed_reads_only_tables_classified_as_shown(
    world, client, make_session, count_queries
):
    """A source that starts reading a quiet table would go stale: this fails first."""
    make_session(world.summit)
    names = {t.name for t in db.metadata.sorted_tables}
    read = set()
    publishing.feed_cache().clear()
    with count_queries() as q:
        for url in world.feeds.values():
            assert client.get(url).status_code == 200
    for statement in q.statements:
        read |= {n for n in names if re.search(rf'\b"?{n}"?\b', statement)}
    assert read - set(feed_tables.SHOWN) == {"feed_stamps"}
    assert {"calls", "rsvps", "summits", "summit_agenda_items", "members"} <= read
