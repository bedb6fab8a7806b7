"""Every page that lists events offers its feed: a webcal:// link for calendar apps and the
https:// address to copy (http:// here, as the tests' BASE_URL is), of the right feed. The
public calendar on the calls list, the home page and the Calendars page; a partner's feed on
its page and on its calls' pages; the summit's on the summit page; all of them on Calendars."""

import re
from html import unescape

import pytest
from sqlalchemy import select

from convene.calendar.models import CalendarSubscription
from convene.calendar.subscriptions import subscription_for
from convene.extensions import db

BASE = "convene.test"  # the tests' BASE_URL is http://convene.test


def _offers(html: str, path: str) -> bool:
    """The page subscribes to the feed at `path` in one click and shows its address to copy."""
    return (
        f'href="webcal://{BASE}{path}"' in html
        and re.search(rf'<input[^>]+value="http://{re.escape(BASE + path)}"', html) is not None
    )


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def network(make_call, make_summit):
    call = make_call(title="Open budgets")
    summit = make_summit(name="Network Summit 2027")
    return call, call.host_organisation, summit


def test_the_calls_list_offers_the_public_calendar(client, network):
    assert _offers(_page(client, "/calls"), "/calendar/public.ics")


def test_the_home_page_offers_the_public_calendar(client, network):
    assert _offers(_page(client, "/"), "/calendar/public.ics")


def test_a_call_page_offers_its_hosts_calls(client, network):
    call, partner, _summit = network
    assert _offers(_page(client, f"/calls/{call.id}"), f"/calendar/partners/{partner.slug}.ics")


def test_a_partner_page_offers_its_calls(client, network):
    _call, partner, _summit = network
    html = _page(client, f"/partners/{partner.slug}")
    assert _offers(html, f"/calendar/partners/{partner.slug}.ics")


def test_the_summit_page_offers_the_summit_feed(client, network):
    *_, summit = network
    assert _offers(_page(client, "/summit/"), f"/calendar/summits/{summit.id}.ics")
    assert _offers(_page(client, f"/summit/{summit.slug}"), f"/calendar/summits/{summit.id}.ics")


def test_calendars_offers_every_public_feed_to_anyone(client, network, make_org):
    _call, partner, summit = network
    other = make_org("partner", name="Results for America")
    html = _page(client, "/calendar")
    assert "<h1>Calendars</h1>" in html
    assert _offers(html, "/calendar/public.ics")
    assert _offers(html, f"/calendar/summits/{summit.id}.ics")
    for each in (partner, other):
        assert _offers(html, f"/calendar/partners/{each.slug}.ics")
        assert each.name in html
    assert "Google Calendar" in html and "Outlook" in html  # how to add it, once
    assert html.count("Google Calendar</dt>") == 1 and "<details" not in html
    assert "/calendar/me/" not in html and "Your calendar" not in html
    assert re.search(r'<a href="/calendar"[^>]*>Calendars</a>', html)  # in the navigation


def test_calendars_links_a_member_to_their_personal_feed(client_for, network, make_member):
    member = make_member()
    html = _page(client_for(member), "/calendar")
    # No feed yet: the page only reads, and leads to the Subscribe page that makes one.
    assert db.session.scalar(select(CalendarSubscription)) is None
    assert 'href="/calendar/subscribe"' in html and "Get your personal feed" in html
    token = subscription_for(member).token
    db.session.commit()
    html = _page(client_for(member), "/calendar")
    assert _offers(html, f"/calendar/me/{token}.ics")
    assert "yours alone" in html
    assert _offers(html, "/calendar/public.ics")


def test_the_subscribe_page_offers_the_personal_feed_and_lists_the_others(
    client_for, network, make_member
):
    _call, partner, summit = network
    member = make_member()
    html = _page(client_for(member), "/calendar/subscribe")
    token = db.session.scalar(select(CalendarSubscription.token))
    assert _offers(html, f"/calendar/me/{token}.ics")
    assert '<details class="calendar-howto" open>' in html
    for path in (
        "/calendar/public.ics",
        f"/calendar/partners/{partner.slug}.ics",
        f"/calendar/summits/{summit.id}.ics",
    ):
        assert f'href="webcal://{BASE}{path}"' in html
    assert 'href="/calendar"' in html


def test_calendars_page_queries_stay_constant_as_partners_grow(
    client_for, network, make_member, make_org, count_queries
):
    member = make_member()
    client = client_for(member)
    client.get("/calendar")  # warm up: the signed-in member's first request

    def queries() -> int:
        with count_queries() as counted:
            assert client.get("/calendar").status_code == 200
        return counted.count

    make_org("partner")  # five partners: the series' rotation of three, the host, this one
    with_five = queries()
    for _ in range(10):
        make_org("partner")
    assert queries() == with_five  # and with fifteen
