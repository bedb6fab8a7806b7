"""The home page: the public picture for visitors, and for each signed-in person their own
calls, summit and topics, plus a block for each role they hold."""

# The summit and topic factories are imported as fixtures, so tests name them again.
# ruff: noqa: F811

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from convene.convenings.models import Call, CallStatus, Rsvp, RsvpAnswer, SwapRequest
from convene.extensions import db
from convene.notifications.models import OutboxMessage, OutboxStatus
from convene.site.home import day_phrase, summit_for, votes_line
from convene.summit.models import (
    SeatAssignment,
    SessionKind,
    SessionSlot,
    SessionTable,
    SocialSession,
)
from convene.topics.proposals import decline_topic
from convene.topics.scheduling import schedule_topic
from convene.types import utcnow
from convene.zones import format_instant, localize
from tests.summit.conftest import make_registration, make_session, make_summit  # noqa: F401
from tests.topics.conftest import add_votes, make_topic  # noqa: F401

NEW_YORK = "America/New_York"


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def page_of(client, url="/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def links(page: str) -> dict[str, str]:
    """Each link's visible text (tags stripped, spaces folded) and its target."""
    found = {}
    for href, inner in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, re.S):
        found[" ".join(re.sub(r"<[^>]+>", "", inner).split())] = href
    return found


def block(page: str, block_id: str) -> str:
    """The HTML of one block of the home page (its <section id=...>)."""
    match = re.search(rf'<section [^>]*id="{block_id}".*?</section>', page, re.S)
    assert match, f"no block {block_id}"
    return match.group(0)


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


# --- visitors ------------------------------------------------------------------------------


def test_visitors_get_the_public_calls_the_summit_and_the_feed(client, make_call, make_summit):
    soon = now_utc() + timedelta(days=2)
    call = make_call(starts_at=soon, title="Open data policy")
    make_call(starts_at=soon + timedelta(days=1), status=CallStatus.CANCELLED, title="Gone")
    summit = make_summit(name="Summit in Mesa")
    page = page_of(client)
    calls = text_of(block(page, "calls"))
    assert "Next calls" in calls and "Open data policy" in calls and "Gone" not in calls
    weekday = localize(soon, NEW_YORK).strftime("%A")
    at = format_instant(soon, NEW_YORK, "time")
    assert f"The next call is {weekday} at {at}." in calls
    assert call.series.video_url not in page and call.series.dial_in_number not in page
    assert f'action="/calls/{call.id}/rsvp"' not in page  # no answering without an account
    assert links(block(page, "calls"))[
        f"Open data policy, {format_instant(soon, NEW_YORK, 'date')}"
    ] == (f"/calls/{call.id}")
    summit_text = text_of(block(page, "summit"))
    assert "Summit in Mesa" in summit_text and "12 to 14 April 2027" in summit_text
    closes = format_instant(summit.registration_closes_at, NEW_YORK, "date")
    assert f"Registration is open until {closes}." in summit_text
    assert links(page)["Sign in to register"].startswith("/sign-in?next=")
    assert links(page)["Sign in to join the calls"] == "/sign-in"
    assert links(page)["Apply to join"] == "/apply"
    assert "US city of 100,000 to 1,000,000 people" in text_of(page)
    assert links(page)["Summit in Mesa: agenda"] == f"/summit/{summit.slug}"
    feed = block(page, "subscribe")
    assert 'href="webcal://convene.test/calendar/public.ics"' in feed
    assert "Subscribe to the public calendar in your calendar app" in text_of(feed)
    assert 'id="public-feed" type="text" value="http://convene.test/calendar/public.ics"' in feed
    for hidden in ("hosting", "city", "programme", "topics"):
        assert f'id="{hidden}"' not in page


def test_visitors_are_told_when_nothing_is_planned(client):
    page = text_of(page_of(client))
    assert "No calls are scheduled yet." in page
    assert "No summit is planned yet." in page
    assert "Sign in" in page


# --- members: calls ------------------------------------------------------------------------


def test_a_member_reads_their_next_call_and_their_answer(make_member, make_call, client_for):
    member = make_member()
    soon = now_utc() + timedelta(days=2)
    first = make_call(starts_at=soon, title="Open data policy")
    later = [make_call(starts_at=soon + timedelta(days=d)) for d in (3, 5, 9)]
    db.session.add(Rsvp(call_id=first.id, member_id=member.id, answer=RsvpAnswer.YES))
    db.session.commit()
    page = page_of(client_for(member))
    calls = block(page, "calls")
    weekday = localize(soon, NEW_YORK).strftime("%A")
    at = format_instant(soon, NEW_YORK, "time")
    assert f"Your next call is {weekday} at {at}, you said yes." in text_of(calls)
    # The next three calls, each with one-click answers that come back here.
    assert calls.count('class="rsvp"') == 3
    assert f'action="/calls/{later[-1].id}/rsvp"' not in calls
    assert calls.count('name="back" value="home"') == 3
    assert re.search(r'value="yes" class="button small" aria-pressed="true"', calls)
    assert first.series.video_url not in page  # join details stay on the call's page
    assert links(page)["All upcoming calls"] == "/calls"


def test_an_unanswered_call_says_so(make_member, make_call, client_for):
    make_call(starts_at=now_utc() + timedelta(days=1, hours=1))
    page = text_of(block(page_of(client_for(make_member())), "calls"))
    assert "you have not answered yet." in page


def test_rsvp_from_home_is_saved_and_comes_back_home(make_member, make_call, client_for):
    member = make_member()
    call = make_call(starts_at=now_utc() + timedelta(days=4))
    client = client_for(member)
    response = client.post(f"/calls/{call.id}/rsvp", data={"answer": "maybe", "back": "home"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/#call-{call.id}"
    assert db.session.scalar(select(Rsvp.answer).where(Rsvp.member_id == member.id)) == "maybe"
    page = page_of(client)
    assert "Your answer is saved: maybe." in page
    assert "you said maybe." in text_of(block(page, "calls"))


def test_day_phrase_reads_like_a_person():
    now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday
    assert day_phrase(now + timedelta(hours=2), NEW_YORK, now) == "today"
    assert day_phrase(now + timedelta(days=1), NEW_YORK, now) == "tomorrow"
    assert day_phrase(now + timedelta(days=2), NEW_YORK, now) == "Thursday"
    assert day_phrase(now + timedelta(days=9), NEW_YORK, now) == "Thursday 10 December"
    assert day_phrase(now + timedelta(days=40), NEW_YORK, now) == "Sunday 10 January 2027"


# --- members: the summit -------------------------------------------------------------------


def _seat(summit, member, starts_at, table="Table 3", published=True):
    session = SocialSession(
        summit=summit, kind=SessionKind.ASSIGNED, title="Dinner", place="The Loft",
        is_published=published,
    )  # fmt: skip
    slot = SessionSlot(
        session=session, position=0, label="Night one", starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
    )  # fmt: skip
    seat_table = SessionTable(slot=slot, position=0, name=table, seats=8)
    db.session.add_all([session, slot, seat_table])
    db.session.flush()
    db.session.add(SeatAssignment(slot_id=slot.id, table_id=seat_table.id, member_id=member.id))
    db.session.commit()
    return session


def test_a_confirmed_member_sees_their_sessions_and_table(
    make_member, make_summit, make_registration, make_session, client_for
):
    member = make_member()
    summit = make_summit()
    make_registration(summit, member)
    dinner_at = datetime(2027, 4, 13, 23, 0, tzinfo=UTC)  # 19:00 at the venue
    _seat(summit, member, dinner_at)
    reception = make_session(summit, title="Rooftop reception")
    from convene.summit.models import SessionSignup, SignupStatus

    db.session.add(
        SessionSignup(session=reception, member_id=member.id, status=SignupStatus.SIGNED_UP)
    )
    db.session.commit()
    page = page_of(client_for(member))
    summit_block = text_of(block(page, "summit"))
    assert f"You have a place at {summit.name}." in summit_block
    assert "Your table on Tuesday 13 April: Table 3" in summit_block
    assert "Rooftop reception" in summit_block and "Dinner: Night one: Table 3" in summit_block
    assert links(page)["Your personal agenda"] == f"/summit/{summit.slug}/my-agenda"


def test_the_table_line_says_tonight_on_the_day(make_member, make_summit, make_registration):
    member = make_member()
    summit = make_summit()
    make_registration(summit, member)
    dinner_at = datetime(2027, 4, 13, 23, 0, tzinfo=UTC)
    _seat(summit, member, dinner_at)
    morning = datetime(2027, 4, 13, 13, 0, tzinfo=UTC)  # 09:00 at the venue, that day
    view = summit_for(member, NEW_YORK, morning)
    assert view.table_line == "Your table tonight: Table 3"
    # An unpublished seating is not shown to the member.
    other = make_member()
    make_registration(summit, other)
    _seat(summit, other, dinner_at, published=False)
    assert summit_for(other, NEW_YORK, morning).table_line is None


def test_a_waitlisted_member_reads_their_position(
    make_member, make_summit, make_registration, client_for
):
    summit = make_summit(capacity=1)
    make_registration(summit, make_member())
    first = make_member()
    make_registration(summit, first, "waitlisted", registered_at=utcnow() - timedelta(hours=1))
    second = make_member()
    make_registration(summit, second, "waitlisted")
    text = text_of(block(page_of(client_for(second)), "summit"))
    assert f"You are on the waitlist for {summit.name}, at position 2." in text


def test_a_member_not_registered_is_offered_registration(make_member, make_summit, client_for):
    summit = make_summit()
    page = page_of(client_for(make_member()))
    assert f"You are not registered for {summit.name} yet." in text_of(block(page, "summit"))
    assert links(page)[f"Register for {summit.name}"] == f"/summit/{summit.slug}/register"


def test_a_past_summit_is_told_as_past(make_member, make_summit, make_registration, client_for):
    member = make_member()
    now = utcnow()
    first = now.date() - timedelta(days=60)
    summit = make_summit(
        starts_on=first, ends_on=first + timedelta(days=2),
        registration_opens_at=now - timedelta(days=400),
        registration_closes_at=now - timedelta(days=300),
    )  # fmt: skip
    make_registration(summit, member)
    text = text_of(block(page_of(client_for(member)), "summit"))
    assert f"{summit.name} took place from {first:%-d}" in text
    assert "You have a place" not in text and "Register" not in text


# --- members: topics -----------------------------------------------------------------------


def test_votes_left_and_news_of_their_topics(
    make_member, make_topic, add_votes, make_call, client_for
):
    member = make_member()
    supported = [make_topic(f"Supported {n}") for n in range(3)]
    for topic in supported:
        add_votes(topic, member)
    mine = make_topic("Street trees", proposer=member)
    decline_topic(mine, "Covered by the June call.")
    call = make_call(starts_at=now_utc() + timedelta(days=6))
    schedule_topic(supported[0], call)
    make_topic("Someone else's")  # no news of topics they have nothing to do with
    db.session.commit()
    page = page_of(client_for(member))
    topics = block(page, "topics")
    # The scheduled topic's vote is free again: 2 open topics supported, of 5 votes.
    assert "3 of your 5 votes are left." in text_of(topics)
    day = format_instant(call.starts_at, NEW_YORK, "date")
    news = links(topics)
    assert news[f"“Supported 0” was chosen as the topic of the call on {day}."] == (
        f"/topics/{supported[0].id}"
    )
    assert news["“Street trees” was declined: Covered by the June call."] == f"/topics/{mine.id}"
    assert "You proposed it" in text_of(topics) and "You support it" in text_of(topics)
    assert "Someone else" not in topics
    assert news["Vote on open topics"] == "/topics" and news["Propose a topic"] == "/topics/new"


def test_votes_line_wording():
    assert votes_line(5, 3) == "2 of your 5 votes are left."
    assert votes_line(5, 4) == "1 of your 5 votes is left."
    assert votes_line(5, 5) == "You have used all 5 of your votes."
    assert votes_line(5, 0) == "All 5 of your votes are left."
    assert votes_line(1, 0) == "Your vote is not used yet."
    assert votes_line(1, 1) == "You have used your vote."


def test_no_news_yet_says_what_will_show(make_member, client_for):
    text = text_of(block(page_of(client_for(make_member())), "topics"))
    assert "All 5 of your votes are left." in text
    assert "No news yet of topics you proposed or support" in text


# --- hosts ---------------------------------------------------------------------------------


def test_a_host_sees_the_calls_that_need_them(make_org, make_member, make_series, make_call,
                                              client_for):  # fmt: skip
    partner, other = make_org("partner", name="GovEx"), make_org("partner", name="Sunlight")
    series = make_series(partners=[partner, other])
    host = make_member("host", organisation=partner)
    now = now_utc()
    bare = make_call(series=series, starts_at=now + timedelta(days=5), host=partner)
    titled = make_call(
        series=series, starts_at=now + timedelta(days=9), host=partner, title="311 data"
    )
    make_call(series=series, starts_at=now + timedelta(days=40), host=partner)  # too far off
    make_call(series=series, starts_at=now + timedelta(days=6), host=other)  # not theirs
    held = make_call(series=series, starts_at=now - timedelta(days=3), host=partner)
    theirs = make_call(series=series, starts_at=now + timedelta(days=12), host=other)
    db.session.add(
        SwapRequest(call_id=theirs.id, other_call_id=titled.id, from_organisation_id=other.id,
                    to_organisation_id=partner.id)
    )  # fmt: skip
    db.session.commit()
    page = page_of(client_for(host))
    hosting = block(page, "hosting")
    text = text_of(hosting)
    assert "Hosting: GovEx" in text
    assert "1 of your calls needs a topic." in text
    assert "2 of your calls need an agenda." in text
    assert "1 of your calls needs notes." in text
    assert "1 of your calls needs attendance taken." in text
    day = format_instant(bare.starts_at, NEW_YORK, "date")
    targets = links(hosting)
    assert targets[f"Choose a topic for the call of {day}"] == f"/calls/{bare.id}/topic"
    assert targets[f"Write the agenda of the call of {day}"] == f"/calls/{bare.id}/agenda"
    held_day = format_instant(held.starts_at, NEW_YORK, "date")
    assert targets[f"Write the record of the call of {held_day}"] == f"/calls/{held.id}/record"
    assert targets["1 swap request waits for your answer"] == "/hosting"
    assert targets["The calls you host"] == "/hosting"
    for hidden in ("city", "programme"):
        assert f'id="{hidden}"' not in page


def test_a_host_with_everything_ready_is_told_so(make_member, client_for):
    text = text_of(block(page_of(client_for(make_member("host"))), "hosting"))
    assert "No calls need you." in text


def test_a_plain_member_sees_no_role_blocks(make_member, client_for):
    page = page_of(client_for(make_member()))
    for hidden in ("hosting", "city", "programme", "subscribe"):
        assert f'id="{hidden}"' not in page
    for shown in ("calls", "summit", "topics"):
        assert f'id="{shown}"' in page


# --- champions -----------------------------------------------------------------------------


def test_a_champion_sees_their_delegation_invitations_and_people(
    make_org, make_member, make_summit, make_registration, client_for
):
    mesa = make_org("city", name="Mesa", slug="mesa", state="AZ", zone="America/Phoenix")
    champion = make_member("champion", organisation=mesa)
    colleague = make_member(organisation=mesa, name="Ana Ortiz")
    make_member(organisation=mesa, name="Ben Invited", password_hash=None)
    make_member(organisation=mesa, name="Old Hand", active=False)
    summit = make_summit(delegation_limit=3, capacity=1)
    make_registration(summit, champion)
    make_registration(summit, colleague, "waitlisted")
    page = page_of(client_for(champion))
    city = block(page, "city")
    text = text_of(city)
    assert "Mesa has 1 seat left in its delegation." in text
    assert "2 of 3 places used." in text
    assert "Ana Ortiz: Waitlisted, position 1" in text
    assert "1 invitation is waiting to be accepted." in text
    assert "Invited, not joined yet: Ben Invited." in text
    assert "Mesa has 3 active people on Convene." in text
    targets = links(city)
    assert targets[f"Mesa's delegation to {summit.name}"] == f"/summit/{summit.slug}/delegation"
    assert targets["Mesa's people"] == "/organisations/mesa/people"
    assert targets["Invite someone"] == "/organisations/mesa/invite"
    assert 'id="programme"' not in page and 'id="hosting"' not in page


def test_a_full_delegation_and_no_invitations(
    make_org, make_member, make_summit, make_registration, client_for
):
    mesa = make_org("city", name="Mesa")
    champion = make_member("champion", organisation=mesa)
    summit = make_summit(delegation_limit=1)
    make_registration(summit, champion)
    text = text_of(block(page_of(client_for(champion)), "city"))
    assert "Mesa has no seats left in its delegation." in text
    assert "No invitations are waiting." in text


def test_a_champion_with_no_summit_coming_is_told_so(make_org, make_member, client_for):
    champion = make_member("champion", organisation=make_org("city", name="Tulsa"))
    text = text_of(block(page_of(client_for(champion)), "city"))
    assert "No summit is coming up, so there is no delegation to register yet." in text
    assert "Tulsa has 1 active person on Convene." in text


# --- admins --------------------------------------------------------------------------------


def _failed_mail(n: int, status=OutboxStatus.FAILED) -> None:
    db.session.add_all(
        OutboxMessage(recipient=f"r{i}@example.org", subject="s", body_text="b", status=status)
        for i in range(n)
    )
    db.session.commit()


def test_an_admin_sees_what_needs_the_programme_team(
    make_member, make_summit, make_registration, make_call, make_org, client_for
):
    admin = make_member("admin")
    summit = make_summit(capacity=1)
    make_registration(summit, make_member())
    for _ in range(2):
        make_registration(summit, make_member(), "waitlisted")
    _failed_mail(4)
    _failed_mail(1, OutboxStatus.PENDING)
    lunch = _seat(summit, admin, datetime(2027, 4, 14, 16, 0, tzinfo=UTC), published=False)
    a, b = make_call(), make_call()
    db.session.add(
        SwapRequest(call_id=a.id, other_call_id=b.id, from_organisation_id=a.host_organisation_id,
                    to_organisation_id=b.host_organisation_id)
    )  # fmt: skip
    db.session.commit()
    page = page_of(client_for(admin))
    programme = block(page, "programme")
    text = text_of(programme)
    targets = links(programme)
    assert targets[f"2 people on the waitlist for {summit.name}"] == (
        f"/summit/{summit.slug}/waitlist"
    )
    assert "(1 of 1 place confirmed)" in text
    assert targets["1 swap request waits for an answer"] == "/hosting"
    assert targets["4 emails failed"] == "/admin/mail?status=failed"
    assert "(1 email waiting to be sent)" in text
    assert targets["Seating of Dinner"] == (f"/summit/{summit.slug}/sessions/{lunch.id}/seating")
    # Admins hold every role: the network's hosting needs too, but no city of their own.
    assert "The calls of every partner" in text_of(block(page, "hosting"))
    assert 'id="city"' not in page


def test_an_admin_with_nothing_waiting_is_told_so(make_member, client_for):
    text = text_of(block(page_of(client_for(make_member("admin"))), "programme"))
    assert "Nothing waits for you" in text
    assert "No swap request waits for an answer" in text and "No email failed" in text


# --- the page for each role keeps a fixed number of queries --------------------------------


@pytest.fixture
def network(make_org, make_member, make_series, make_call, make_summit, make_registration,
            make_topic, add_votes):  # fmt: skip
    """One of each role, and `grow(n)` adding n more of everything the page counts."""
    partner, other = make_org("partner"), make_org("partner")
    city = make_org("city", name="Mesa")
    people = {
        "member": make_member(organisation=city),
        "champion": make_member("champion", organisation=city),
        "host": make_member("host", organisation=partner),
        "admin": make_member("admin"),
    }
    series = make_series(partners=[partner, other])
    summit = make_summit(capacity=2, delegation_limit=50)
    for who in ("member", "host", "admin"):
        make_registration(summit, people[who])
    make_registration(summit, people["champion"], "waitlisted")
    _seat(summit, people["member"], datetime(2027, 4, 13, 23, 0, tzinfo=UTC))
    counter = iter(range(1, 10_000))

    def grow(n: int) -> None:
        now = now_utc()
        for _ in range(n):
            k = next(counter)
            slots = [date(2000, 1, 1) + timedelta(days=3 * k + i) for i in range(3)]
            hours = timedelta(hours=k * 7)
            mine = make_call(series, now + hours, partner, slot_date=slots[0])
            theirs = make_call(series, now + hours + timedelta(hours=3), other, slot_date=slots[1])
            make_call(series, now - timedelta(days=k), partner, slot_date=slots[2])
            for who in people.values():
                db.session.add(Rsvp(call_id=mine.id, member_id=who.id, answer=RsvpAnswer.YES))
            db.session.add(
                SwapRequest(call_id=theirs.id, other_call_id=mine.id, from_organisation_id=other.id,
                            to_organisation_id=partner.id)
            )  # fmt: skip
            topic = make_topic(proposer=people["member"])
            add_votes(topic, *people.values())
            decline_topic(topic, "Not this year.")
            voted = make_topic()
            add_votes(voted, *people.values())
            make_member(organisation=city, password_hash=None)
            make_registration(summit, make_member(organisation=city), "waitlisted")
            db.session.add(
                SocialSession(summit=summit, kind=SessionKind.ASSIGNED, title=f"Dinner {k}")
            )
            _failed_mail(1)
        db.session.commit()

    return people, grow


@pytest.mark.parametrize("role", ["visitor", "member", "host", "champion", "admin"])
def test_the_page_keeps_a_fixed_number_of_queries(network, role, client, client_for,
                                                  count_queries):  # fmt: skip
    people, grow = network
    http = client if role == "visitor" else client_for(people[role])

    def measure() -> int:
        db.session.expire_all()
        with count_queries() as counted:
            assert http.get("/").status_code == 200
        return counted.count

    grow(2)
    few = measure()
    grow(4)
    many = measure()
    assert db.session.scalar(select(db.func.count(Call.id))) == 18
    assert few == many, f"{role}: {few} queries with few rows, {many} with three times as many"


# --- on a phone ----------------------------------------------------------------------------


@pytest.mark.e2e
def test_on_a_phone_the_blocks_stack_and_one_click_answers(
    live_server, browser_page, make_member, make_call, make_summit, make_registration
):
    from tests.conftest import PASSWORD

    admin = make_member("admin", name="Alex Admin")
    call = make_call(starts_at=now_utc() + timedelta(days=3), title="A long title " * 6)
    summit = make_summit(name="What Works Cities Summit with a long name")
    make_registration(summit, admin)
    _seat(summit, admin, datetime(2027, 4, 13, 23, 0, tzinfo=UTC), published=False)
    _failed_mail(2)
    page = browser_page()
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=admin.name).wait_for()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    boxes = [page.locator(f"#{b}").bounding_box() for b in ("calls", "summit", "programme")]
    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]  # stacked, one under the other
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes)
    page.locator(f"#call-{call.id}").get_by_role("button", name="Maybe").click()
    page.get_by_text("Your answer is saved: maybe.").wait_for()
    assert page.url == f"{live_server.url}/#call-{call.id}"
    maybe = page.locator(f"#call-{call.id}").get_by_role("button", name="Maybe")
    assert maybe.get_attribute("aria-pressed") == "true"
