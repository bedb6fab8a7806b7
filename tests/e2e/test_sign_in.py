import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def test_member_signs_in_and_sees_their_name(live_server, browser_page, make_member):
    member = make_member(name="Rosa Rivera")
    page = browser_page()
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill(member.email.upper())
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Rosa Rivera")).to_be_visible()
