"""The calls pages: cards for the list, partner pages, topic and turnout wording, attendance
grouped by city, long words that wrap."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from convene.convenings.models import Attendance, CallStatus, Rsvp, RsvpAnswer
from convene.extensions import db
from convene.topics.models import Topic, TopicStatus
from convene.topics.scheduling import schedule_topic
from tests.conftest import load_demo_network

PAST = timedelta(days=3)


def _now():
    return datetime.now(UTC).replace(microsecond=0)


def _text(html: str) -> str:
    """The page as read: tags dropped, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- the list of calls ----------------------------------------------------------------------


def test_each_upcoming_call_is_a_card_with_date_host_topic_counts_and_buttons(
    make_org, make_series, make_call, make_member, client_for
):
    partner = make_org("partner", name="Results for America", slug="rfa")
    call = make_call(series=make_series(partners=[partner]), title="Open data policy")
    for answer in ("yes", "yes", "maybe"):
        db.session.add(Rsvp(call=call, member=make_member(), answer=RsvpAnswer(answer)))
    db.session.commit()
    page = client_for(make_member()).get("/calls").get_data(as_text=True)
    assert "<table" not in page and "table-scroll" not in page
    card = page[page.index(f'id="call-{call.id}"') :].split("</li>")[0]
    assert f'href="/calls/{call.id}"' in card
    assert '<a href="/partners/rfa">Results for America</a>' in card
    assert "Open data policy" in card and "2 yes · 1 maybe" in _text(card)
    assert card.count('name="answer"') == 3  # yes, maybe, no
    assert '<link rel="stylesheet" href="/static/convenings.css">' in page


def test_the_list_offers_the_public_feed_to_visitors_and_subscribe_to_members(
    make_call, make_member, client, client_for
):
    make_call()
    public = client.get("/calls").get_data(as_text=True)
    assert "webcal://" in public and "/calendar/public.ics" in public
    assert 'id="public-feed"' in public
    member = client_for(make_member()).get("/calls").get_data(as_text=True)
    assert 'href="/calendar/subscribe"' in member and 'id="public-feed"' not in member


def test_a_call_without_answers_says_so_rather_than_three_zeros(make_call, client):
    call = make_call()
    page = _text(client.get("/calls").get_data(as_text=True))
    assert "No answers yet" in page and "0 yes" not in page
    assert "No answers yet" in _text(client.get(f"/calls/{call.id}").get_data(as_text=True))


# --- turnout: a held call counts who came ------------------------------------------------------


def test_a_held_call_shows_who_attended_not_zero_answers(make_call, make_member, client_for):
    call = make_call(starts_at=_now() - PAST, status=CallStatus.HELD)
    for _ in range(18):
        db.session.add(Attendance(call=call, member=make_member()))
    db.session.commit()
    viewer = client_for(make_member())
    page = _text(viewer.get(f"/calls/{call.id}").get_data(as_text=True))
    assert "18 attended" in page and "Who came" in page
    assert "0 yes" not in page and "0 maybe" not in page and "0 no" not in page
    assert "18 people:" in page
    archive = _text(viewer.get("/calls/archive").get_data(as_text=True))
    assert "18 attended" in archive and "0 yes" not in archive


def test_a_held_call_with_yes_answers_and_attendance_shows_both_in_words(
    make_call, make_member, client_for
):
    call = make_call(starts_at=_now() - PAST, status=CallStatus.HELD)
    came = make_member()
    db.session.add(Attendance(call=call, member=came))
    db.session.add(Rsvp(call=call, member=came, answer=RsvpAnswer.YES))
    db.session.add(Rsvp(call=call, member=make_member(), answer=RsvpAnswer.YES))
    db.session.commit()
    page = _text(client_for(came).get(f"/calls/{call.id}").get_data(as_text=True))
    assert "1 attended (2 had said yes)" in page
    assert "1 person:" in page


def test_a_held_call_without_a_record_of_attendance_says_so(make_call, client):
    call = make_call(starts_at=_now() - PAST, status=CallStatus.HELD)
    page = _text(client.get(f"/calls/{call.id}").get_data(as_text=True))
    assert "Held; attendance not recorded" in page and "No answers yet" not in page


# --- the topic: one place for the list and the call page -----------------------------------


def test_a_topic_written_on_the_call_reads_the_same_on_the_list_and_the_call_page(
    make_org, make_member, make_series, make_call, client_for
):
    """A host writes the topic in the agenda form (no proposed topic chosen): the call page
    used to say "No topic is chosen yet" while the list showed the topic."""
    partner = make_org("partner")
    call = make_call(series=make_series(partners=[partner]))
    host = client_for(make_member("host", organisation=partner))
    response = host.post(
        f"/calls/{call.id}/agenda", data={"title": "Procurement reform", "agenda": "1. Intro"}
    )
    assert response.status_code == 302
    listing = _text(host.get("/calls").get_data(as_text=True))
    page = _text(host.get(f"/calls/{call.id}").get_data(as_text=True))
    assert "Procurement reform" in listing
    assert "Topic: Procurement reform" in page
    assert "No topic is chosen yet" not in page


def test_a_chosen_topic_reads_the_same_in_the_list_and_links_from_the_call_page(
    make_org, make_member, make_series, make_call, client_for, client
):
    partner = make_org("partner")
    call = make_call(series=make_series(partners=[partner]))
    topic = Topic(title="Data for equity", proposer=make_member(), status=TopicStatus.OPEN)
    db.session.add(topic)
    db.session.flush()
    schedule_topic(topic, call)
    db.session.commit()
    member = client_for(make_member())
    link = f'<a href="/topics/{topic.id}">Data for equity</a>'
    assert link in member.get(f"/calls/{call.id}").get_data(as_text=True)
    # The list names it (its page is one step away, on the call's page).
    listing = member.get("/calls").get_data(as_text=True)
    assert "Data for equity" in listing and f"/topics/{topic.id}" not in listing
    # Visitors (who cannot open topic pages) read the same title, without the link.
    visitor = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Topic: Data for equity" in _text(visitor) and f"/topics/{topic.id}" not in visitor
    assert "Data for equity" in client.get("/calls").get_data(as_text=True)


def test_a_call_without_a_topic_says_so_in_both_places(make_call, client):
    call = make_call()
    assert "Topic to be chosen" in client.get("/calls").get_data(as_text=True)
    assert "No topic is chosen yet" in client.get(f"/calls/{call.id}").get_data(as_text=True)


# --- long words and links wrap -------------------------------------------------------------


def test_user_text_on_call_pages_is_marked_to_wrap_and_the_css_wraps_it(
    make_call, make_member, client_for, client
):
    url = "https://example.org/" + "a-very-long-path-segment-" * 40
    call = make_call(title="Supercalifragilistic" * 8, agenda=f"See {url}", notes=f"Notes: <{url}>")
    page = client_for(make_member()).get(f"/calls/{call.id}").get_data(as_text=True)
    assert 'class="prose user-text"' in page and 'class="call-title"' in page
    css = client.get("/static/convenings.css").get_data(as_text=True)
    rule = next(line for line in css.splitlines() if "overflow-wrap: anywhere" in line)
    for selector in (".user-text", ".call-title", ".call-item", ".prose"):
        assert selector in rule


# --- a partner's page ----------------------------------------------------------------------


@pytest.fixture
def partner_calls(make_org, make_series, make_call, make_member):
    partner = make_org("partner", name="Center for Government Excellence", slug="govex",
                       website="https://govex.jhu.edu")  # fmt: skip
    other = make_org("partner", name="Other Partner")
    series = make_series(partners=[partner, other])
    coming = make_call(series=series, title="Performance management")
    held = make_call(
        series=series, starts_at=_now() - PAST, status=CallStatus.HELD, title="Open data"
    )
    for _ in range(4):
        db.session.add(Attendance(call=held, member=make_member()))
    not_theirs = make_call(
        series=series, host=other, starts_at=_now() + timedelta(days=5), title="Not theirs"
    )
    db.session.commit()
    return partner, coming, held, not_theirs


def test_a_partner_page_shows_its_name_website_calls_and_feed(partner_calls, client):
    partner, coming, held, not_theirs = partner_calls
    response = client.get("/partners/govex")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _text(page)
    assert "<h1" in page and "Center for Government Excellence" in text
    assert 'href="https://govex.jhu.edu"' in page
    upcoming = page.split('id="upcoming-heading"')[1].split('id="recent-heading"')[0]
    recent = page.split('id="recent-heading"')[1].split('id="feed-heading"')[0]
    assert f"/calls/{coming.id}" in upcoming and f"/calls/{held.id}" not in upcoming
    assert f"/calls/{held.id}" in recent and "4 attended" in _text(recent)
    assert f"/calls/{not_theirs.id}" not in page
    assert "/calendar/partners/govex.ics" in page and 'id="partner-feed"' in page
    assert "Center for Government Excellence's calls" in text


def test_call_pages_and_lists_link_the_host_to_its_page(partner_calls, client, make_member,
                                                        client_for):  # fmt: skip
    _partner, coming, held, _ = partner_calls
    link = 'href="/partners/govex"'
    assert link in client.get(f"/calls/{coming.id}").get_data(as_text=True)
    assert link in client.get("/calls").get_data(as_text=True)
    assert link in client.get("/calls/archive").get_data(as_text=True)
    assert link in client_for(make_member("admin")).get("/hosting").get_data(as_text=True)


@pytest.mark.parametrize("slug", ["nobody", "city-1"])
def test_a_partner_page_for_an_unknown_slug_or_a_city_is_not_found(slug, make_org, client):
    make_org("city", slug="city-1")
    assert client.get(f"/partners/{slug}").status_code == 404


def test_a_website_that_is_not_a_web_address_is_not_a_link(make_org, client):
    make_org("partner", slug="odd", website="javascript:alert(1)")
    page = client.get("/partners/odd").get_data(as_text=True)
    assert "javascript:" not in page


def test_the_partner_page_runs_the_same_queries_for_5_and_15_calls(
    make_org, make_series, make_call, make_member, client_for, count_queries
):
    partner = make_org("partner", slug="counted")
    series = make_series(partners=[partner])
    viewer = client_for(make_member())

    def add(n):
        for _ in range(n):
            start = _now() + timedelta(days=len(series.calls) + 1)
            add.count += 1
            call = make_call(series=series, starts_at=start + timedelta(hours=add.count))
            past = make_call(series=series, starts_at=_now() - timedelta(days=add.count),
                             status=CallStatus.HELD)  # fmt: skip
            for answer in ("yes", "no"):
                db.session.add(Rsvp(call=call, member=make_member(), answer=RsvpAnswer(answer)))
            db.session.add(Attendance(call=past, member=make_member()))
        db.session.commit()

    add.count = 0
    counts = []
    for n in (5, 10):  # 5 calls each way, then 15
        add(n)
        viewer.get("/partners/counted")
        with count_queries() as queries:
            response = viewer.get("/partners/counted")
        assert response.status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("url", ["/calls", "/calls/archive", "/hosting"])
def test_call_lists_with_topics_run_the_same_queries_for_n_and_3n_calls(
    url, make_series, make_call, make_member, client_for, count_queries
):
    viewer = client_for(make_member("admin"))
    series = make_series()
    past = url.endswith("archive")
    counts = []
    made = 0
    for n in (4, 8):
        for _ in range(n):
            made += 1
            start = _now() + (-1 if past else 1) * timedelta(days=made)
            call = make_call(series=series, starts_at=start)
            topic = Topic(title=f"Topic {made}", proposer=make_member(), status=TopicStatus.OPEN)
            db.session.add(topic)
            db.session.flush()
            if past:
                topic.status, topic.call, call.title = TopicStatus.HELD, call, topic.title
                call.status = CallStatus.HELD
                db.session.add(Attendance(call=call, member=make_member()))
            else:
                schedule_topic(topic, call)
        db.session.commit()
        viewer.get(url)
        with count_queries() as queries:
            response = viewer.get(url)
        assert response.status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1], counts


# --- attendance: grouped by city, filtered in place ------------------------------------------


def test_the_attendance_form_groups_people_by_city_and_keeps_ticks(
    make_org, make_series, make_call, make_member, client_for
):
    partner = make_org("partner", name="Partner P")
    call = make_call(series=make_series(partners=[partner]), starts_at=_now() - PAST)
    mesa = make_org("city", name="Mesa")
    akron = make_org("city", name="Akron")
    ann = make_member(organisation=mesa, name="Ann")
    bob = make_member(organisation=mesa, name="Bob")
    cy = make_member(organisation=akron, name="Cy")
    host = make_member("host", organisation=partner, name="Hal")
    db.session.add(Rsvp(call=call, member=bob, answer=RsvpAnswer.YES))
    db.session.commit()
    client = client_for(host)
    page = client.get(f"/calls/{call.id}/record").get_data(as_text=True)
    headings = re.findall(r'<h3 id="org-\d+-heading">([^<]+)</h3>', page)
    # Cities first, by name; then the partners and the programme team.
    assert headings[:2] == ["Akron, NY", "Mesa, NY"] and "Partner P" in headings[2:]
    mesa_group = page.split(">Mesa, NY</h3>")[1].split("</ul>")[0]
    assert "Ann" in mesa_group and "Bob" in mesa_group and "Cy" not in mesa_group
    assert re.search(rf'value="{bob.id}" checked', page)  # answered yes: ticked
    assert not re.search(rf'value="{ann.id}" checked', page)
    assert "data-attendee-filter hidden" in page  # the filter shows only with the script
    assert '<script src="/static/convenings.js" defer></script>' in page
    assert len(re.findall(r'<label for="attendee-\d+">', page)) == len(
        re.findall(r'type="checkbox" name="attendees"', page)
    )

    response = client.post(
        f"/calls/{call.id}/record",
        data={"notes": "", "resources": "", "attendees": [str(ann.id), str(cy.id)]},
    )
    assert response.status_code == 302
    recorded = set(db.session.scalars(select(Attendance.member_id).where(
        Attendance.call_id == call.id)))  # fmt: skip
    assert recorded == {ann.id, cy.id}
    page = client.get(f"/calls/{call.id}/record").get_data(as_text=True)
    assert re.search(rf'value="{ann.id}" checked', page)
    assert not re.search(rf'value="{bob.id}" checked', page)


def test_a_refused_record_keeps_what_was_ticked(make_call, make_member, client_for, make_org):
    partner = make_org("partner")
    call = make_call(host=partner, starts_at=_now() - PAST)
    call.host_organisation_id = partner.id
    db.session.commit()
    ann = make_member(name="Ann")
    client = client_for(make_member("host", organisation=partner))
    response = client.post(
        f"/calls/{call.id}/record",
        data={"notes": "", "resources": "not a link", "attendees": [str(ann.id)]},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "needs a link" in page
    assert re.search(rf'value="{ann.id}" checked', page)
    assert not db.session.scalars(select(Attendance).where(Attendance.call_id == call.id)).all()


def test_the_attendance_form_runs_the_same_queries_for_40_and_120_people(
    make_org, make_call, make_member, client_for, count_queries
):
    partner = make_org("partner")
    call = make_call(host=partner, starts_at=_now() - PAST)
    host = client_for(make_member("host", organisation=partner))
    counts = []
    for n in (40, 80):  # 40 people, then 120
        cities = [make_org("city") for _ in range(n // 10)]
        for i in range(n):
            person = make_member(organisation=cities[i % len(cities)])
            if i % 3 == 0:
                db.session.add(Rsvp(call=call, member=person, answer=RsvpAnswer.YES))
        db.session.commit()
        host.get(f"/calls/{call.id}/record")
        with count_queries() as queries:
            response = host.get(f"/calls/{call.id}/record")
        assert response.status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1], counts


def test_in_the_demo_every_call_reads_the_same_topic_in_the_list_and_on_its_page(app, client_for):
    """The demo chooses topics, writes them by hand, cancels and brings calls back: whichever
    path set it, the list and the call's page name the same topic (or both say none yet)."""
    from convene.accounts.models import Member, Role
    from convene.convenings.listings import upcoming_calls

    load_demo_network()
    admin = db.session.scalar(select(Member).where(Member.role == Role.ADMIN))
    viewer = client_for(admin)
    listing = viewer.get("/calls").get_data(as_text=True)
    calls = [c for c in upcoming_calls() if not c.is_cancelled]
    assert calls
    for call in calls:
        card = listing[listing.index(f'id="call-{call.id}"') :].split("</li>")[0]
        topic = re.search(r'<p class="call-topic">(.*?)</p>', card, re.S).group(1)
        page = _text(viewer.get(f"/calls/{call.id}").get_data(as_text=True))
        if "Topic to be chosen" in topic:
            assert "No topic is chosen yet" in page, call.id
        else:
            assert f"Topic: {_text(topic)}" in page, call.id
            assert "No topic is chosen yet" not in page, call.id
