"""A member subscribes: finds the Subscribe page, chooses a reminder, fetches their feed,
and revokes the link."""

import urllib.request

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_member_subscribes_sets_a_reminder_and_revokes(live_server, browser_page, make_member):
    member = make_member(name="Rosa Rivera")
    page = browser_page(timezone_id="America/Phoenix")
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Subscribe to your calendar")).to_be_visible()
    address = page.get_by_label("Or copy the address of your feed").input_value()
    assert "/calendar/me/" in address
    webcal = page.get_by_role(
        "link", name="Subscribe to your feed in your calendar app"
    ).get_attribute("href")
    assert webcal == "webcal://" + address.split("://", 1)[1]

    page.get_by_label("1 hour before").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Preferences saved")).to_be_visible()
    assert page.get_by_label("1 hour before").is_checked()

    feed_url = live_server.url + "/calendar/me/" + address.rsplit("/", 1)[1]
    status, body = _fetch(feed_url)
    assert status == 200 and body.startswith(b"BEGIN:VCALENDAR")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke this link and make a new one").click()
    expect(page.get_by_text("The old link no longer works")).to_be_visible()
    assert page.get_by_label("Or copy the address of your feed").input_value() != address
    assert _fetch(feed_url)[0] == 404
