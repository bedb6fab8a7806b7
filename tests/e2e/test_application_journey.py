"""A city applies and joins: step one, the draft with the mayor's letter, submission; two
reviewers score it; an admin accepts it and sends the letter; the champion joins through the
emailed invitation and finds the network's next call on their home page. The applicant's
and the champion's pages fit a 390 px phone without sideways scrolling."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfWriter
from sqlalchemy import select

from convene.accounts.models import Member
from convene.applications.models import Application, Reviewer
from convene.extensions import db
from convene.visits.models import PracticeArea
from tests.conftest import PASSWORD, body_of

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "a champion's own password"


def _letter(tmp_path) -> str:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    path = tmp_path / "mayor-letter.pdf"
    path.write_bytes(out.getvalue())
    return str(path)


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at {PHONE['width']}"


def _sign_in(page, base_url, email, password=PASSWORD, name=None):
    page.goto(base_url + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    if name:
        page.get_by_role("link", name=name).wait_for()


def test_a_city_applies_is_accepted_and_its_champion_finds_the_next_call(
    live_server, browser_page, make_member, make_org, make_call, deliver_mail, tmp_path
):
    live_server.app.config["APPLICATION_UPLOADS"] = str(tmp_path / "letters")
    db.session.add(PracticeArea(name="Open data", slug="open-data"))
    admin = make_member("admin", name="Ada Admin")
    partner = make_member("host", organisation=make_org("partner"), name="Pat Partner")
    for member in (admin, partner):
        db.session.add(Reviewer(member_id=member.id))
    db.session.commit()
    starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=5)
    call = make_call(starts_at=starts, title="Open budgets")

    # The city applies on a phone.
    applicant = browser_page(timezone_id="America/Phoenix")
    applicant.set_viewport_size(PHONE)
    applicant.goto(live_server.url + "/apply")
    applicant.get_by_label("Your email address").fill("dana@mesa.example.gov")
    applicant.get_by_label("Your name").fill("Dana Clerk")
    applicant.get_by_label("The city").fill("Mesa")
    applicant.get_by_label("Its state").select_option("AZ")
    applicant.get_by_label("Its population").fill("504258")
    _no_sideways_scroll(applicant)
    applicant.get_by_role("button", name="Start the application").click()
    expect(applicant.get_by_label("The champion's name")).to_be_visible()
    applicant.get_by_label("The mayor's letter of commitment (PDF)").set_input_files(
        _letter(tmp_path)
    )
    applicant.get_by_label("The champion's name").fill("Alex Champion")
    applicant.get_by_label("The champion's title").fill("Chief Data Officer")
    applicant.get_by_label("The champion's email address").fill("alex@mesa.example.gov")
    applicant.get_by_label("How senior the champion is").select_option("executive")
    applicant.get_by_label("What the city has done with data so far").fill("A 311 dashboard.")
    applicant.get_by_label("The resources the city will commit").fill("Two analysts.")
    applicant.get_by_label("Open data").check()
    applicant.get_by_label("What the city wants help with, in its own words").fill("Evaluation.")
    _no_sideways_scroll(applicant)
    applicant.get_by_role("button", name="Submit the application").click()
    expect(applicant).to_have_url(re.compile(r"/apply/status/"))
    _no_sideways_scroll(applicant)
    db.session.expire_all()
    application = db.session.scalar(select(Application))
    assert application.status.value == "submitted" and application.letter_file
    deliver_mail()  # the applicant's confirmation and the admins' notice

    # The admin gives it to the reviewers; both score it.
    page = browser_page()
    _sign_in(page, live_server.url, admin.email, name=admin.name)
    page.goto(live_server.url + "/applications")
    page.get_by_role("button", name="Assign reviewers").click()
    for reviewer in (partner, admin):
        if reviewer is partner:
            scorer = browser_page()
            _sign_in(scorer, live_server.url, partner.email, name=partner.name)
        else:
            scorer = page
        scorer.goto(live_server.url + f"/applications/{application.id}")
        for select_box in scorer.locator("#review select").all():
            select_box.select_option("4")
        scorer.get_by_role("button", name="Submit", exact=True).click()
        expect(scorer.get_by_role("heading", name="Your review (submitted)")).to_be_visible()

    # The admin accepts it, then sends the letter from the pending letters.
    page.goto(live_server.url + f"/applications/{application.id}")
    page.get_by_label("Accept: the city joins, its champion is invited").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Decision for Mesa, AZ: accept.")).to_be_visible()
    page.goto(live_server.url + "/applications/decisions")
    page.get_by_label("Send the letter to Mesa, AZ").check()
    page.get_by_role("button", name="Send the chosen letters").click()
    expect(page.get_by_text("Alex Champion is invited as its champion")).to_be_visible()

    mail = deliver_mail()
    to_applicant = [m for m in mail if m["To"] == "dana@mesa.example.gov"]
    # (Under review shows on the status page: the letter is the next mail they get.)
    assert [m["Subject"] for m in to_applicant] == ["What Works Cities: welcome, Mesa, AZ"]
    assert "Mesa, AZ has been accepted" in body_of(to_applicant[0])
    (invitation,) = [m for m in mail if m["To"] == "alex@mesa.example.gov"]
    link = re.search(r"http://convene\.test(/invitation/\S+)", body_of(invitation)).group(1)

    # The champion joins on a phone and sees the next call.
    champion = browser_page(timezone_id="America/Phoenix")
    champion.set_viewport_size(PHONE)
    champion.goto(live_server.url + link)
    champion.get_by_label("New password").fill(NEW_PASSWORD)
    champion.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    champion.get_by_role("button", name="Set password").click()
    expect(champion.get_by_text("Your password is set.")).to_be_visible()
    champion.goto(live_server.url + "/")
    calls = champion.locator("#calls-heading").locator("..")
    expect(calls.get_by_text(call.title).first).to_be_visible()
    _no_sideways_scroll(champion)
    db.session.expire_all()
    alex = db.session.scalar(select(Member).where(Member.email == "alex@mesa.example.gov"))
    assert alex.is_champion and alex.organisation.name == "Mesa"
    assert alex.organisation.zone == "America/Phoenix"
