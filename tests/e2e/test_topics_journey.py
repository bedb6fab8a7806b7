import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from convene.convenings.models import Call
from convene.extensions import db
from convene.topics.models import Topic, TopicStatus
from tests.e2e.browser import sign_in

pytestmark = pytest.mark.e2e

LABELS = {1: "1 city, 0 partners (1 vote)", 2: "2 cities, 0 partners (2 votes)"}


def test_a_city_proposes_the_network_votes_and_a_host_schedules_it(
    live_server,
    browser_page,
    make_org,
    make_member,
    make_call,  # noqa: F811
):
    partner = make_org("partner", name="Center for Government Excellence")
    proposer = make_member(name="Rosa Rivera", organisation=make_org("city", name="Tulsa"))
    voters = [
        make_member(name="Omar Okafor", organisation=make_org("city", name="Boise")),
        make_member(name="Grace Lee", organisation=make_org("city", name="Syracuse")),
    ]
    host = make_member("host", name="Hana Host", organisation=partner)
    call = make_call(host=partner)
    existing = Topic(title="Performance dashboards", proposer=voters[0])
    db.session.add(existing)
    db.session.commit()
    url = live_server.url

    # A city member proposes, seeing similar topics while typing.
    page = browser_page()
    sign_in(page, url, proposer)
    page.goto(url + "/topics/new")
    page.get_by_label("Title").fill("Performance dashboard")
    expect(page.locator("#similar-live")).to_contain_text("Performance dashboards")
    page.get_by_label("Title").fill("Using 311 data to find where services fall short")
    expect(page.locator("#similar-live")).to_be_empty()
    page.get_by_label("Description").fill("Where do **potholes** cluster?")
    page.get_by_label("We can share our experience").check()
    page.get_by_role("button", name="Propose topic").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Using 311 data")
    expect(page.locator(".prose strong")).to_have_text("potholes")

    # Two others vote from the list; the count updates in place.
    for n, voter in enumerate(voters, start=1):
        voter_page = browser_page()
        sign_in(voter_page, url, voter)
        voter_page.goto(url + "/topics")
        card = voter_page.locator(".topic-card", has_text="Using 311 data")
        card.get_by_role("button", name="Support").click()
        expect(card.get_by_role("button", name="Withdraw support")).to_be_visible()
        expect(card.locator(".support-label")).to_have_text(LABELS[n])
        expect(voter_page.locator("[data-votes-used]")).to_have_text("1")
        assert voter_page.url.endswith("/topics")  # no reload: updated in place

    # The host schedules it on their next call.
    host_page = browser_page()
    sign_in(host_page, url, host)
    host_page.goto(f"{url}/calls/{call.id}/topic")
    rows = host_page.locator("tbody tr")
    expect(rows.first).to_contain_text("Using 311 data")  # top of the ranking
    rows.first.get_by_role("button", name=re.compile("^Choose")).click()
    expect(host_page.locator(".call-title")).to_contain_text("Using 311 data")

    db.session.expire_all()  # the served app changed them in its own session
    topic = db.session.scalar(select(Topic).where(Topic.title.like("Using 311%")))
    assert topic.status == TopicStatus.SCHEDULED and topic.call_id == call.id
    assert db.session.get(Call, call.id).title == topic.title

    # The topic page shows the call; the call page too, wherever it lives.
    host_page.goto(f"{url}/topics/{topic.id}")
    expect(host_page.get_by_role("heading", name="On the call")).to_be_visible()
    if "convenings.call" in live_server.app.view_functions:
        host_page.goto(f"{url}/calls/{call.id}")
        expect(host_page.locator("main")).to_contain_text(topic.title)
    else:
        host_page.goto(f"{url}/calls/{call.id}/topic")
        expect(host_page.locator("main")).to_contain_text(topic.title)
