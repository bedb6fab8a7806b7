import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from convene.accounts.models import Member
from convene.extensions import db
from tests.conftest import PASSWORD, body_of

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "my own new password"


def test_champion_invites_a_member_who_joins_through_the_emailed_link(
    live_server, browser_page, make_member, make_org, deliver_mail, tmp_path
):
    city = make_org("city", name="Tempe", slug="tempe-az", state="AZ", zone="America/Phoenix")
    champion = make_member("champion", organisation=city, name="Chris Champion")

    page = browser_page(timezone_id="America/Phoenix")
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill(champion.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="My city").click()
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("Name").fill("Nora Evans")
    page.get_by_label("Email").fill("nora.evans@tempe.example.org")
    page.get_by_label("Job title").fill("Data Analyst")
    page.get_by_role("button", name="Send invitation").click()
    expect(
        page.get_by_text("An invitation is on its way to nora.evans@tempe.example.org")
    ).to_be_visible()
    expect(page.get_by_role("cell", name="Invited")).to_be_visible()
    page.screenshot(path=str(tmp_path / "people.png"), full_page=True)

    (message,) = deliver_mail()
    assert message["To"] == "nora.evans@tempe.example.org"
    link = re.search(r"http://convene\.test(/invitation/\S+)", body_of(message)).group(1)

    joiner = browser_page(timezone_id="America/Phoenix")  # a fresh context: no cookies
    joiner.goto(live_server.url + link)
    expect(joiner.get_by_role("heading", name="Welcome, Nora Evans")).to_be_visible()
    joiner.get_by_label("New password").fill(NEW_PASSWORD)
    joiner.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    joiner.get_by_role("button", name="Set password").click()
    expect(joiner.get_by_role("link", name="Nora Evans")).to_be_visible()
    expect(joiner.get_by_text("Welcome, Nora Evans. Your password is set.")).to_be_visible()

    db.session.expire_all()
    nora = db.session.scalar(select(Member).where(Member.email == "nora.evans@tempe.example.org"))
    assert nora.password_hash and nora.organisation_id == city.id

    # The link worked once.
    joiner.goto(live_server.url + link)
    expect(joiner.get_by_role("heading", name="This link no longer works")).to_be_visible()
