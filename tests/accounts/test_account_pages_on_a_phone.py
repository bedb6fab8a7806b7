"""The account pages on a 390 px phone, in Chromium: nothing wider than the screen, each
field found by its label, and a wrong current password announced on its field."""

import re

import pytest

from convene.accounts import credentials
from convene.extensions import db
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def sign_in(page, base_url, member):
    page.goto(base_url + "/sign-in")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))


def assert_fits(page, path):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide"


def test_the_account_pages_fit_a_phone(live_server, browser_page, make_org, make_member):
    city = make_org("city", name="Kansas City", zone="America/Chicago")
    champion = make_member(
        "champion", organisation=city, name="Christopher Montgomery-Fitzgerald Champion"
    )
    colleague = make_member(organisation=city, name="Maria Garcia")
    with live_server.app.test_request_context():
        token = credentials.email_change_token(
            colleague, "maria.garcia.new.address@kansascity.example.org"
        )
    db.session.commit()

    page = browser_page()
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, champion)
    paths = [
        "/account",
        "/account/password",
        "/account/email",
        f"/organisations/{city.slug}/people",
        f"/organisations/{city.slug}/champion/{colleague.id}",
        f"/account/email/confirm/{token}",
    ]
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert_fits(page, path)

    page.goto(live_server.url + "/account")
    zone = page.get_by_label("Your time zone")
    assert zone.input_value() == ""
    assert "Same as my organisation (Central — Chicago)" in zone.inner_text()

    page.goto(live_server.url + "/account/password")
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("a brand new password")
    page.get_by_label("Repeat the new password").fill("a brand new password")
    page.get_by_role("button", name="Change password").click()
    field = page.get_by_label("Current password")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby") or ""
    messages = [page.locator(f"#{i}").inner_text() for i in described.split()]
    assert "That is not your current password." in messages
    assert_fits(page, "/account/password with an error")

    page.goto(live_server.url + f"/organisations/{city.slug}/champion/{colleague.id}")
    page.get_by_role("button", name="Hand the role from you to Maria Garcia").click()
    page.wait_for_url(re.compile(r".*/$"))
    assert "Maria Garcia is now the champion of Kansas City" in page.content()
    page.goto(live_server.url + "/account")
    assert page.get_by_role("heading", name="Your details").is_visible()
