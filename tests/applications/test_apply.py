"""Applying without an account: step one, the draft and its link, submitting, the status
page; limits, and nothing that tells one applicant about another's application."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from convene.applications.models import (
    Application,
    ApplicationLink,
    ApplicationStatus,
    DecisionLetter,
    LinkPurpose,
    Outcome,
    ReviewAssignment,
)
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.notifications.models import OutboxMessage
from convene.types import utcnow
from tests.applications.applying import (
    STEP_ONE,
    pdf_bytes,
    post_draft,
    start,
    start_draft,
    token_of,
    use_letters_folder,
)


@pytest.fixture(autouse=True)
def letters(app, tmp_path):
    return use_letters_folder(app, tmp_path)


def applications() -> list[Application]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Application).order_by(Application.id)))


def outbox(to: str | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.recipient == to)
    return list(db.session.scalars(query))


def submit_complete(client, practice_area, token: str | None = None, **changes):
    """A draft (a new one, unless `token` names one) filled in and submitted; returns the
    status link's secret."""
    token = token or start_draft(client)
    areas = [practice_area("Open data"), practice_area("Performance management")]
    response = post_draft(client, token, "submit", areas=areas, letter=pdf_bytes(), **changes)
    assert response.status_code == 302, response.get_data(as_text=True)
    return token_of(response.headers["Location"], "status")


# --- step one ------------------------------------------------------------------------------


def test_step_one_asks_five_things_and_offers_every_state(client):
    page = client.get("/apply").get_data(as_text=True)
    for name in ("email", "contact_name", "city_name", "state", "population"):
        assert f'name="{name}"' in page
    assert 'name="champion_name"' not in page and 'type="file"' not in page
    assert len(re.findall(r'<option value="[A-Z]{2}"', page)) == 51
    assert ">District of Columbia<" in page and ">Wyoming<" in page


@pytest.mark.parametrize(
    ("population", "started"),
    [(99_999, False), (100_000, True), (1_000_000, True), (1_000_001, False)],
)
def test_the_band_edges_through_the_form(client, population, started):
    response = start(client, population=str(population), city_name="Springfield", state="OH")
    assert (response.status_code == 302) is started
    assert len(applications()) == int(started)
    assert len(outbox()) == int(started)


def test_an_ineligible_city_is_told_why_and_nothing_changes(client):
    small = start(client, population="85000", city_name="Smallville", state="KS")
    assert small.status_code == 200
    page = small.get_data(as_text=True)
    assert "Smallville cannot apply" in page and "100,000 people or more" in page
    large = start(client, population="2500000", city_name="Bigtown", state="TX")
    assert "up to 1,000,000 people" in large.get_data(as_text=True)
    territory = start(client, city_name="San Juan", state="PR", population="340000")
    assert "50 US states and the District of Columbia" in territory.get_data(as_text=True)
    assert applications() == [] and outbox() == []
    assert db.session.scalar(sa.select(sa.func.count(ApplicationLink.id))) == 0


def test_the_band_follows_configuration(app, client):
    app.config["APPLICATION_MIN_POPULATION"] = 50_000
    page = client.get("/apply").get_data(as_text=True)
    assert "50,000 to 1,000,000 people" in page
    assert start(client, population="60000", city_name="Smalltown", state="KS").status_code == 302


def test_starting_makes_a_draft_mails_its_link_and_opens_it(client):
    response = start(client)
    assert response.status_code == 302
    token = token_of(response.headers["Location"], "draft")
    (application,) = applications()
    assert application.status == ApplicationStatus.DRAFT and application.submitted_at is None
    assert application.email == "clerk@mesa.example.gov"  # stored lower-case
    assert re.fullmatch(r"APP-[2-9A-HJKMNP-TV-Z]{6}", application.reference)
    (mail,) = outbox()
    assert mail.recipient == "clerk@mesa.example.gov"
    assert f"http://convene.test/apply/draft/{token}" in mail.body_text
    assert "30 days" in mail.body_text
    # Only the secret's hash is stored.
    link = db.session.scalar(sa.select(ApplicationLink))
    assert link.token_hash != token and token not in link.token_hash
    page = client.get(f"/apply/draft/{token}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    text = page.get_data(as_text=True)
    assert 'value="Mesa"' in text and 'value="504258"' in text and "Your draft is saved" in text


def test_references_are_unique_and_unambiguous(client, monkeypatch):
    from convene.applications import intake

    picks = iter("AAAAAAAAAAAABBBBBB")
    monkeypatch.setattr(intake.secrets, "choice", lambda alphabet: next(picks))
    with client.application.test_request_context():
        first = intake.new_reference()
        db.session.add(Application(reference=first, email="a@b.gov", city_name="X", state="OH"))
        db.session.flush()
        assert intake.new_reference() == "APP-BBBBBB" != first
        db.session.rollback()
    assert not set("01ILOU") & set(intake.REFERENCE_ALPHABET)


def test_the_gazetteer_fills_in_a_missing_population(client):
    response = start(client, population="")
    assert response.status_code == 302
    (application,) = applications()
    assert 400_000 < application.population < 600_000  # Mesa, from the gazetteer
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We used the gazetteer&#39;s population for Mesa, AZ" in page


def test_a_missing_population_the_gazetteer_cannot_fill_is_asked_for(client):
    response = start(client, population="", city_name="Nowhereville")
    assert response.status_code == 200
    assert "we did not find Nowhereville, AZ" in response.get_data(as_text=True)
    assert applications() == []


def test_a_population_far_from_the_gazetteers_is_questioned_not_refused(client):
    response = start(client, population="150000")  # Mesa has about 500,000
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The gazetteer lists about" in page and "correct it" in page
    # Refused for its size, the gazetteer's figure is mentioned too.
    refused = start(client, population="90000").get_data(as_text=True)
    assert "cannot apply" in refused and "The gazetteer lists about" in refused


# --- the draft -----------------------------------------------------------------------------


def test_a_draft_saves_whatever_is_there_and_the_link_brings_it_back(client, practice_area):
    token = start_draft(client)
    area = practice_area("Open data")
    response = post_draft(
        client,
        token,
        areas=[area],
        champion_name="Alex Champion",
        champion_title=None,
        data_history=None,
        resources=None,
        help_wanted=None,
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(token)
    (application,) = applications()
    assert application.status == ApplicationStatus.DRAFT
    assert application.champion_name == "Alex Champion" and application.champion_title is None
    assert application.champion_email == "alex@mesa.example.gov"
    assert [a.name for a in application.areas] == ["Open data"]
    page = client.get(f"/apply/draft/{token}").get_data(as_text=True)
    assert 'value="Alex Champion"' in page
    assert re.search(rf'value="{area.id}" checked', page)


def test_a_draft_link_expires(client):
    token = start_draft(client)
    link = db.session.scalar(sa.select(ApplicationLink))
    assert timedelta(days=29) < link.expires_at - utcnow() <= timedelta(days=30)
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(f"/apply/draft/{token}")
    assert response.status_code == 404 and "have a new one" in response.get_data(as_text=True)
    assert post_draft(client, token, champion_name="Late").status_code == 404
    assert applications()[0].champion_name is None


def test_each_link_opens_only_its_own_page(client, practice_area):
    draft_token = start_draft(client)
    assert client.get(f"/apply/status/{draft_token}").status_code == 404
    status_token = submit_complete(client, practice_area, draft_token)
    assert client.get(f"/apply/draft/{status_token}").status_code == 404
    assert client.get(f"/apply/status/{status_token}").status_code == 200
    # Submitting retires the draft's link: the application is no longer changed by it.
    assert client.get(f"/apply/draft/{draft_token}").status_code == 404
    assert post_draft(client, draft_token, "submit").status_code == 404
    for nonsense in ("x", "A" * 300, "%00"):
        assert client.get(f"/apply/status/{nonsense}").status_code == 404


def test_bad_values_in_a_draft_change_nothing(client):
    token = start_draft(client)
    response = post_draft(
        client, token, champion_email="not an address", population="12abc", state="ZZ"
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page and "Give an email address" in page
    assert "Choose the state from the list" in page
    assert applications()[0].champion_name is None


# --- submitting ----------------------------------------------------------------------------


def test_submit_requires_every_part(client, practice_area):
    token = start_draft(client)
    response = post_draft(
        client,
        token,
        "submit",
        champion_title="",
        resources="",
        help_wanted="",
        letter=pdf_bytes(),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    opening = page.index("error-summary")
    summary = page[opening : page.index("</ul>", opening)]
    for message in (
        "Give the champion&#39;s title.",
        "Say what resources the city will commit.",
        "Tick at least one area",
        "Say what the city wants help with.",
        "Choose the letter again",
    ):
        assert message in summary
    (application,) = applications()
    assert application.status == ApplicationStatus.DRAFT
    assert application.champion_name is None and application.letter_file is None
    assert not db.session.scalar(sa.select(sa.func.count(Action.id)))
    # Without any letter at all, the letter is asked for.
    page = post_draft(client, token, "submit", areas=[practice_area("Open data")])
    assert "Upload the mayor&#39;s letter" in page.get_data(as_text=True)


def test_submitting_sets_the_place_retires_the_draft_and_confirms(client, practice_area):
    status_token = submit_complete(client, practice_area)
    (application,) = applications()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at is not None
    assert application.zone == "America/Phoenix"
    assert 33 < application.latitude < 34 and -112 < application.longitude < -111
    links = {link.purpose: link for link in db.session.scalars(sa.select(ApplicationLink))}
    assert links[LinkPurpose.DRAFT].retired_at is not None
    assert links[LinkPurpose.STATUS].expires_at is None
    (action,) = db.session.scalars(sa.select(Action))
    assert action.kind == ActionKind.APPLICATION_SUBMITTED
    assert action.application_id == application.id
    assert status_token not in str(action.details) + str(action.after)  # mail only
    confirmation = outbox("clerk@mesa.example.gov")[-1]
    assert application.reference in confirmation.subject + confirmation.body_text
    assert f"http://convene.test/apply/status/{status_token}" in confirmation.body_text


def test_a_city_the_gazetteer_does_not_know_gets_its_states_zone(client, practice_area):
    submit_complete(client, practice_area, city_name="Nowhereville", state="HI")
    (application,) = applications()
    assert application.zone == "Pacific/Honolulu"
    assert application.latitude is None and application.longitude is None


def test_submit_checks_eligibility_again(client, practice_area):
    token = start_draft(client)
    response = post_draft(
        client,
        token,
        "submit",
        areas=[practice_area("Open data")],
        letter=pdf_bytes(),
        population="1500000",
    )
    assert response.status_code == 400
    assert "up to 1,000,000 people" in response.get_data(as_text=True)
    (application,) = applications()
    assert application.status == ApplicationStatus.DRAFT and application.population == 504_258


# --- the status page -----------------------------------------------------------------------


def steps_of(page: str) -> list[str]:
    steps = page[page.index("application-steps") : page.index("</ol>")]
    items = [li.split(">", 1)[1] for li in steps.split("<li")[1:]]
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in items]


def test_the_status_page_follows_the_application(client, practice_area, make_reviewer):
    token = submit_complete(client, practice_area)
    page = client.get(f"/apply/status/{token}")
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    (application,) = applications()
    assert application.reference in text and "Mesa, Arizona" in text
    steps = steps_of(text)
    assert steps[0].startswith("Submitted Now ·")
    assert [s.split(" (")[0] for s in steps[1:]] == [
        "Under review",
        "Meeting with leadership",
        "Decided",
    ]
    assert text.count('aria-current="step"') == 1

    reviewer = make_reviewer()
    db.session.add(ReviewAssignment(application_id=application.id, member_id=reviewer.id))
    application.status = ApplicationStatus.UNDER_REVIEW
    db.session.commit()
    steps = steps_of(client.get(f"/apply/status/{token}").get_data(as_text=True))
    assert steps[0].startswith("Submitted Done ·") and steps[1].startswith("Under review Now ·")

    application.status = ApplicationStatus.DECIDED
    application.decided_at = utcnow()
    db.session.add(
        DecisionLetter(
            application_id=application.id,
            outcome=Outcome.ACCEPT,
            subject="Welcome to the network",
            body="Dear Dana,\n\nMesa is in.\nCongratulations.",
        )
    )
    db.session.commit()
    text = client.get(f"/apply/status/{token}").get_data(as_text=True)
    steps = steps_of(text)
    assert steps[3].startswith("Decided Done ·")
    assert steps[2] == "Meeting with leadership Done"  # reached without a meeting: no date
    assert "Welcome to the network" in text and "Mesa is in.<br>Congratulations." in text


def test_the_status_page_runs_as_many_queries_for_many_letters(
    client, practice_area, count_queries
):
    token = submit_complete(client, practice_area)
    (application,) = applications()

    def letters(n):
        for i in range(n):
            db.session.add(
                DecisionLetter(
                    application_id=application.id, outcome=Outcome.HOLD, subject=f"H{i}", body="b"
                )
            )
        db.session.commit()
        db.session.expire_all()
        with count_queries() as counted:
            assert client.get(f"/apply/status/{token}").status_code == 200
        return counted.count

    assert letters(1) == letters(5)


# --- limits, forgery, and no word about other applications --------------------------------


def test_starts_are_limited_per_address_and_per_day(make_app):
    app = make_app(
        APPLICATION_START_RATE_LIMIT="2 per hour", APPLICATION_START_DAILY_LIMIT="4 per day"
    )
    client = app.test_client()
    # A refused city may try again: only started applications count.
    for _ in range(3):
        assert start(client, email="a9@city.gov", population="5").status_code == 200
    for n in range(2):
        assert start(client, email=f"a{n}@city.gov").status_code == 302
    refused = start(client, email="a2@city.gov")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Too many applications started" in refused.get_data(as_text=True)
    assert start(client, address="10.0.0.2", email="b0@city.gov").status_code == 302
    assert start(client, address="10.0.0.3", email="c0@city.gov").status_code == 302
    # Four a day from everyone: a fifth address is held too.
    assert start(client, address="10.0.0.4", email="d0@city.gov").status_code == 429
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 4


def test_starts_are_limited_per_email_across_addresses(make_app):
    app = make_app(APPLICATION_START_RATE_LIMIT="2 per hour")
    client = app.test_client()
    for n in range(2):
        assert start(client, address=f"10.1.0.{n}").status_code == 302
    assert start(client, address="10.1.0.9", email="CLERK@mesa.example.gov").status_code == 429


def test_forms_need_their_csrf_token(make_app, practice_area):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert start(client).status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


def _same_but_secrets(text: str) -> str:
    text = re.sub(r"/apply/(draft|status)/[A-Za-z0-9_-]+", "/apply/<token>", text)
    return re.sub(r"APP-[A-Z0-9]{6}", "APP-<ref>", text)


def test_nothing_tells_whether_a_city_has_applied(client, practice_area):
    """A second application for a city is answered exactly like the first."""
    practice_area("Open data"), practice_area("Performance management")
    app = client.application
    first_client, second_client = app.test_client(), app.test_client()
    first = start(first_client, address="10.0.0.1")
    first_page = first_client.get(first.headers["Location"])
    submit_complete(first_client, practice_area, token_of(first.headers["Location"], "draft"))
    second = start(second_client, address="10.0.0.2")
    second_page = second_client.get(second.headers["Location"])
    assert first.status_code == second.status_code == 302
    assert _same_but_secrets(first.get_data(as_text=True)) == _same_but_secrets(
        second.get_data(as_text=True)
    )
    # Headers alike, but for the link and the signed session cookie; the rate limit's
    # headers count the asker's own starts (the same email here), not the city's, and its
    # seconds to wait tick on between the two requests.
    ignored = {
        "Location",
        "Set-Cookie",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "Retry-After",
    }
    assert {k: v for k, v in first.headers if k not in ignored} == {
        k: v for k, v in second.headers if k not in ignored
    }
    assert _same_but_secrets(first_page.get_data(as_text=True)) == _same_but_secrets(
        second_page.get_data(as_text=True)
    )
    mails = [m for m in outbox() if "draft" in m.subject]
    assert len(mails) == 2
    assert _same_but_secrets(mails[0].body_text) == _same_but_secrets(mails[1].body_text)
    assert len(applications()) == 2  # each is an application the committee will see


def test_lost_links_are_emailed_again_and_the_page_says_the_same_for_anyone(client, practice_area):
    start(client)
    second = dict(STEP_ONE, city_name="Tempe", population="180587")
    client.post("/apply", data=second)
    client.get("/apply/links")  # shows (and so clears) the starts' messages
    before = len(outbox())
    asked = client.post("/apply/links", data={"email": "clerk@MESA.example.gov"})
    nobody = client.post("/apply/links", data={"email": "nobody@nowhere.example"})
    assert asked.status_code == nobody.status_code == 200
    words = asked.get_data(as_text=True).replace("clerk@MESA.example.gov", "X")
    assert words == nobody.get_data(as_text=True).replace("nobody@nowhere.example", "X")
    sent = outbox()[before:]
    assert len(sent) == 1  # one email for both applications, none for the unknown address
    text = sent[0].body_text
    assert "Mesa, AZ" in text and "Tempe, AZ" in text
    draft_links = re.findall(r"/apply/draft/[A-Za-z0-9_-]+", text)
    assert len(draft_links) == 2
    assert client.get(draft_links[0]).status_code == 200
