"""After a visit: when it counts as held, each city's report, who may write and read it, and
the one search that finds reports beside call notes."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.types import utcnow
from convene.visits import reports
from convene.visits.models import (
    PracticeArea,
    Visit,
    VisitCity,
    VisitFormat,
    VisitParticipant,
    VisitReport,
    VisitSide,
    VisitStatus,
)


@pytest.fixture
def area(app):
    area = PracticeArea(name="311 data", slug="311-data", keywords="service requests")
    db.session.add(area)
    db.session.commit()
    return area


@pytest.fixture
def make_visit(area):
    def factory(host, visitors, status=VisitStatus.APPROVED, ends_ago=3, title=None):
        ends_on = date.today() - timedelta(days=ends_ago)
        status = VisitStatus(status)
        visit = Visit(
            title=title or f"{host.name} 311 dashboards",
            problem="How to publish 311 requests.",
            intended_use="Start our own dashboard.",
            format=VisitFormat.SITE_VISIT,
            status=status,
            starts_on=ends_on - timedelta(days=1),
            ends_on=ends_on,
            zone=host.zone,
            practice_area_id=area.id,
            requesting_organisation_id=visitors[0].id,
            approved_at=utcnow() if status in (VisitStatus.APPROVED, VisitStatus.HELD) else None,
        )
        visit.cities = [VisitCity(organisation=host, side=VisitSide.HOST)] + [
            VisitCity(organisation=v, side=VisitSide.VISITOR) for v in visitors
        ]
        db.session.add(visit)
        db.session.commit()
        return visit

    return factory


@pytest.fixture
def scene(make_org, make_member, make_visit):
    host = make_org(name="Louisville", slug="louisville", state="KY")
    visitor = make_org(name="Tulsa", slug="tulsa", state="OK", zone="America/Chicago")
    people = {
        "host_champion": make_member("champion", organisation=host),
        "visitor_champion": make_member("champion", organisation=visitor),
        "traveller": make_member(organisation=visitor),
        "colleague": make_member(organisation=visitor),  # of the city, not on the visit
        "outsider": make_member(),
        "admin": make_member("admin"),
    }
    visit = make_visit(host, [visitor])
    db.session.add(
        VisitParticipant(visit=visit, member=people["traveller"], side=VisitSide.VISITOR)
    )
    db.session.commit()
    return visit, host, visitor, people


FORM = {
    "shown": "Their **311** dashboard, refreshed nightly.",
    "will_try": "Publish our service requests weekly.",
    "resources": "Dashboard | https://data.example.org/311\nhttps://example.org/guide",
    "publish": "Publish to the network",
}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- held -------------------------------------------------------------------------------


def test_a_visit_is_held_once_its_last_day_is_over_where_it_took_place(make_org, make_visit):
    honolulu = make_org(name="Honolulu", state="HI", zone="Pacific/Honolulu")
    visitor = make_org()
    visit = make_visit(honolulu, [visitor], ends_ago=0)
    # 09:00 UTC on the visit's last day is still the night before in Honolulu.
    last_day = datetime.combine(visit.ends_on, datetime.min.time(), UTC)
    assert not reports.is_held(visit, last_day + timedelta(hours=9))
    assert not reports.is_held(visit, last_day + timedelta(hours=30))  # 20:00 on the day
    assert reports.is_held(visit, last_day + timedelta(hours=35))  # the next day there
    visit.status = VisitStatus.ACCEPTED
    assert not reports.is_held(visit, last_day + timedelta(days=5))
    visit.status = VisitStatus.HELD
    assert reports.is_held(visit, last_day - timedelta(days=5))


def test_held_clause_counts_what_is_held_says(make_org, make_visit):
    a, b = make_org(), make_org()
    past = make_visit(a, [b])
    make_visit(a, [b], ends_ago=-10)  # approved, still ahead
    make_visit(a, [b], status=VisitStatus.DECLINED)
    marked = make_visit(a, [b], status=VisitStatus.HELD)
    held = db.session.scalars(
        select(Visit.id).where(reports.held_clause(date.today())).order_by(Visit.id)
    ).all()
    assert held == [past.id, marked.id]


# --- writing a report -------------------------------------------------------------------


def test_the_visitors_publish_a_report_and_the_visit_is_held(scene, client_for, deliver_mail):
    visit, host, visitor, people = scene
    traveller = client_for(people["traveller"])
    url = f"/visits/{visit.id}/reports/tulsa/edit"
    assert "What the visitors will try" in traveller.get(url).get_data(as_text=True)
    answer = traveller.post(url, data=FORM)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/visits/{visit.id}/reports/tulsa")

    db.session.expire_all()
    report = db.session.scalar(select(VisitReport))
    assert report.side == VisitSide.VISITOR and report.is_published
    assert report.author_id == people["traveller"].id
    assert report.resources == (
        "Dashboard | https://data.example.org/311\n"
        "https://example.org/guide | https://example.org/guide"
    )
    assert db.session.get(Visit, visit.id).status == VisitStatus.HELD
    kinds = db.session.scalars(
        select(Action.kind).where(Action.visit_id == visit.id).order_by(Action.id)
    ).all()
    assert kinds == [ActionKind.VISIT_HELD, ActionKind.VISIT_REPORTED]

    # The other side hears of it (its champion); the city that wrote it does not.
    told = {m["To"].addresses[0].addr_spec for m in deliver_mail()}
    assert told == {people["host_champion"].email}

    # Any signed-in member reads it; the search of past calls finds it.
    page = client_for(people["outsider"]).get(f"/visits/{visit.id}/reports/tulsa")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<strong>311</strong> dashboard" in text
    assert 'href="https://data.example.org/311"' in text
    assert "Edit the report" not in text
    # The host city's champion is offered its own report.
    host_page = client_for(people["host_champion"]).get(f"/visits/{visit.id}/reports/tulsa")
    assert "Write Louisville, KY's report" in host_page.get_data(as_text=True)


def test_a_second_publish_is_an_edit_not_a_second_report(scene, client_for):
    visit, _host, _visitor, people = scene
    champion = client_for(people["visitor_champion"])
    url = f"/visits/{visit.id}/reports/tulsa/edit"
    champion.post(url, data=FORM)
    champion.post(url, data=FORM | {"will_try": "Weekly, then daily.", "publish": ""})
    db.session.expire_all()
    (report,) = db.session.scalars(select(VisitReport)).all()
    assert report.will_try == "Weekly, then daily." and report.is_published
    reported = select(func.count()).where(Action.kind == ActionKind.VISIT_REPORTED)
    assert db.session.scalar(reported) == 1


def test_a_draft_is_seen_only_by_those_who_may_write_it(scene, client_for):
    visit, _host, _visitor, people = scene
    champion = client_for(people["visitor_champion"])
    url = f"/visits/{visit.id}/reports/tulsa"
    answer = champion.post(url + "/edit", data=FORM | {"publish": "", "save": "Save as a draft"})
    assert answer.headers["Location"].endswith(url + "/edit")
    db.session.expire_all()
    report = db.session.scalar(select(VisitReport))
    assert not report.is_published
    assert champion.get(url).status_code == 200
    assert client_for(people["traveller"]).get(url).status_code == 200
    assert client_for(people["outsider"]).get(url).status_code == 404
    assert client_for(people["colleague"]).get(url).status_code == 404
    assert "visit.reported" not in {a.value for a in db.session.scalars(select(Action.kind)).all()}


@pytest.mark.parametrize(
    "who, city, status",
    [
        ("host_champion", "louisville", 200),
        ("visitor_champion", "tulsa", 200),
        ("traveller", "tulsa", 200),
        ("admin", "louisville", 200),
        ("host_champion", "tulsa", 403),  # not the other city's report
        ("traveller", "louisville", 403),
        ("colleague", "tulsa", 403),  # not named on the visit
        ("outsider", "tulsa", 403),
    ],
)
def test_who_may_write_which_report(scene, client_for, who, city, status):
    visit, _host, _visitor, people = scene
    client = client_for(people[who])
    url = f"/visits/{visit.id}/reports/{city}/edit"
    assert client.get(url).status_code == status
    assert client.post(url, data=FORM).status_code == (302 if status == 200 else status)


def test_signed_out_visitors_are_sent_to_sign_in(scene, client):
    visit = scene[0]
    for url in ("/visits/reports", f"/visits/{visit.id}/reports/tulsa"):
        answer = client.get(url)
        assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"resources": "Guide | ftp://example.org/guide"}, "Line 1 of the links needs a link"),
        ({"resources": "ok | https://example.org\nnot a link"}, "Line 2 of the links"),
        ({"resources": "https://example.org/" + "a" * 600}, "longer than 500 characters"),
        ({"shown": "", "will_try": ""}, "Write what was shown or what the visitors will try"),
        ({"shown": "x" * 10_001}, "Use at most 10,000 characters."),
    ],
)
def test_bad_input_says_why_and_changes_nothing(scene, client_for, changes, message):
    visit, _host, _visitor, people = scene
    answer = client_for(people["traveller"]).post(
        f"/visits/{visit.id}/reports/tulsa/edit", data=FORM | changes
    )
    assert answer.status_code == 200
    assert message in answer.get_data(as_text=True)
    db.session.expire_all()
    assert _count(VisitReport) == 0 and _count(Action) == 0
    assert db.session.get(Visit, visit.id).status == VisitStatus.APPROVED


@pytest.mark.parametrize(
    "status, ends_ago, message",
    [
        (VisitStatus.APPROVED, -3, "Reports are written once the visit is over"),
        (VisitStatus.APPROVED, 0, "Reports are written once the visit is over"),
        (VisitStatus.ACCEPTED, 3, "did not go ahead"),
        (VisitStatus.CANCELLED, 3, "did not go ahead"),
    ],
)
def test_no_report_before_the_visit_is_held(
    make_org, make_member, make_visit, client_for, status, ends_ago, message
):
    host, visitor = make_org(), make_org(slug="tulsa")
    visit = make_visit(host, [visitor], status=status, ends_ago=ends_ago)
    champion = client_for(make_member("champion", organisation=visitor))
    url = f"/visits/{visit.id}/reports/tulsa/edit"
    assert message in champion.get(url).get_data(as_text=True)
    answer = champion.post(url, data=FORM)
    assert answer.status_code == 409 and message in answer.get_data(as_text=True)
    db.session.expire_all()
    assert _count(VisitReport) == 0 and db.session.get(Visit, visit.id).status == status
    with pytest.raises(reports.ReportError):
        reports.save_report(visit, visitor, "x", None, None, publish=True)
    db.session.rollback()


def test_unknown_visits_and_cities_are_404(scene, client_for):
    visit, _host, _visitor, people = scene
    admin = client_for(people["admin"])
    assert admin.get(f"/visits/{visit.id}/reports/nowhere/edit").status_code == 404
    assert admin.get(f"/visits/{visit.id + 99}/reports/tulsa/edit").status_code == 404
    assert admin.get(f"/visits/{visit.id}/reports/tulsa").status_code == 404  # none yet
    other = people["outsider"].organisation.slug  # a city not on the visit
    assert admin.get(f"/visits/{visit.id}/reports/{other}/edit").status_code == 404


def test_the_links_parser():
    assert reports.parse_links("\n A | https://a.example \nhttps://b.example\n") == [
        reports.Link("A", "https://a.example"),
        reports.Link("https://b.example", "https://b.example"),
    ]
    with pytest.raises(reports.ReportError, match="at most 30 links"):
        reports.parse_links("\n".join(f"https://e.example/{n}" for n in range(31)))


def test_days_label_reads_as_calendar_days(make_org, make_visit):
    visit = make_visit(make_org(), [make_org()])
    visit.starts_on, visit.ends_on = date(2026, 3, 12), date(2026, 3, 12)
    assert reports.days_label(visit) == "12 March 2026"
    visit.ends_on = date(2026, 3, 14)
    assert reports.days_label(visit) == "12 to 14 March 2026"
    visit.ends_on = date(2026, 4, 2)
    assert reports.days_label(visit) == "12 March to 2 April 2026"
    visit.starts_on, visit.ends_on = date(2026, 12, 30), date(2027, 1, 2)
    assert reports.days_label(visit) == "30 December 2026 to 2 January 2027"


# --- one search: call notes and visit reports --------------------------------------------


def _published(visit, organisation, side, shown, when=None):
    report = VisitReport(
        visit=visit,
        organisation_id=organisation.id,
        side=side,
        shown=shown,
        published_at=when or utcnow(),
    )
    db.session.add(report)
    db.session.commit()
    return report


def test_the_archive_search_finds_reports_for_members_only(scene, make_call, client, client_for):
    visit, host, visitor, people = scene
    _published(visit, host, VisitSide.HOST, "We showed the **pothole** backlog map.")
    draft = VisitReport(
        visit=visit, organisation_id=visitor.id, side=VisitSide.VISITOR, shown="pothole draft"
    )
    db.session.add(draft)
    make_call(starts_at=utcnow() - timedelta(days=9), title="Pothole data", notes="Potholes.")
    db.session.commit()

    member = client_for(people["outsider"])
    page = member.get("/calls/archive?q=POTHOLE").get_data(as_text=True)
    assert "1 visit report matching" in page
    assert f'href="/visits/{visit.id}/reports/louisville"' in page
    assert "We showed the pothole backlog map." in page  # the excerpt, as plain text
    assert "pothole draft" not in page  # a draft is nobody's search result
    assert "1 call matching" in page and "Pothole data" in page
    # Every word must match, in the report, the visit's title or its area.
    assert "1 visit report matching" in member.get("/calls/archive?q=backlog+311").get_data(
        as_text=True
    )
    assert "Visit reports" not in member.get("/calls/archive?q=backlog+snow").get_data(as_text=True)
    # The public archive is for calls only; without a search no report is listed.
    assert "Visit reports" not in client.get("/calls/archive?q=pothole").get_data(as_text=True)
    assert "Visit reports" not in member.get("/calls/archive").get_data(as_text=True)


def test_search_words_are_literal(scene):
    visit, host, _visitor, _people = scene
    _published(visit, host, VisitSide.HOST, "Cut response times by 50% in a year.")
    assert reports.search_reports("50%")[1] == 1
    assert reports.search_reports("5_%")[1] == 0  # not a wildcard
    assert reports.search_reports("   ") == ([], 0)


# --- the lists keep a fixed number of queries --------------------------------------------


def _fill(make_org, make_visit, n):
    for i in range(n):
        host, visitor = make_org(), make_org()
        visit = make_visit(host, [visitor], title=f"Potholes {i}")
        _published(visit, host, VisitSide.HOST, f"Potholes shown {i}")
        _published(visit, visitor, VisitSide.VISITOR, f"Potholes to try {i}")


def test_the_reports_list_and_the_search_keep_their_queries(
    app, make_org, make_member, make_visit, client_for, count_queries
):
    reader = client_for(make_member())
    counts = []
    for n in (2, 6):  # N and 3N visits: 4 and 12 reports, all on the first page
        _fill(make_org, make_visit, n if not counts else n - 2)
        with count_queries() as listed:
            page = reader.get("/visits/reports")
        with count_queries() as searched:
            found = reader.get("/calls/archive?q=potholes")
        assert page.status_code == found.status_code == 200
        counts.append((listed.count, searched.count))
    assert counts[0] == counts[1], counts
    assert f"{2 * 6} published reports" in page.get_data(as_text=True)
    assert f"{2 * 6} visit reports matching" in found.get_data(as_text=True)


def test_the_visit_page_lists_each_citys_report(scene, client_for):
    visit, _host, _visitor, people = scene
    traveller = client_for(people["traveller"])
    page = traveller.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Write Tulsa, OK's report" in page
    assert "Write Louisville, KY's report" not in page  # not theirs to write
    traveller.post(f"/visits/{visit.id}/reports/tulsa/edit", data=FORM)
    host_page = client_for(people["host_champion"]).get(f"/visits/{visit.id}")
    text = host_page.get_data(as_text=True)
    assert f'href="/visits/{visit.id}/reports/tulsa">read its report' in text
    assert "Write Louisville, KY's report" in text


def test_a_coming_visit_says_when_reports_are_written(
    make_org, make_member, make_visit, client_for
):
    host, visitor = make_org(), make_org(slug="tulsa")
    visit = make_visit(host, [visitor], ends_ago=-30)
    page = client_for(make_member("champion", organisation=visitor)).get(f"/visits/{visit.id}")
    assert "Each city writes a short report once the visit is over" in page.get_data(as_text=True)


# --- races (PostgreSQL) ------------------------------------------------------------------


@pytest.fixture
def slow_record(monkeypatch):
    """Recording holds the visit's lock a little longer, so racing saves meet at the lock."""
    import time

    real = reports.record_action

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "record_action", slow)


@pytest.mark.postgres_only
def test_both_cities_publishing_at_once_mark_the_visit_held_once(scene, make_app, slow_record):
    from tests.summit.http_races import race_requests, racing_apps, status_codes

    visit, _host, _visitor, people = scene
    answers = race_requests(
        racing_apps(make_app, 2),
        [
            (people["host_champion"], "POST", f"/visits/{visit.id}/reports/louisville/edit", FORM),
            (people["visitor_champion"], "POST", f"/visits/{visit.id}/reports/tulsa/edit", FORM),
        ],
    )
    assert status_codes(answers) == [302, 302]
    db.session.expire_all()
    assert _count(VisitReport) == 2
    kinds = db.session.scalars(select(Action.kind).where(Action.visit_id == visit.id)).all()
    assert sorted(kinds) == sorted(
        [ActionKind.VISIT_HELD, ActionKind.VISIT_REPORTED, ActionKind.VISIT_REPORTED]
    )


@pytest.mark.postgres_only
def test_one_city_saving_its_first_report_twice_at_once_writes_one(scene, make_app, slow_record):
    from tests.summit.http_races import race_requests, racing_apps, status_codes

    visit, _host, _visitor, people = scene
    url = f"/visits/{visit.id}/reports/tulsa/edit"
    answers = race_requests(
        racing_apps(make_app, 2),
        [
            (people["visitor_champion"], "POST", url, FORM),
            (people["traveller"], "POST", url, FORM | {"will_try": "Daily releases."}),
        ],
    )
    assert status_codes(answers) == [302, 302]
    db.session.expire_all()
    (report,) = db.session.scalars(select(VisitReport)).all()
    assert report.is_published
    reported = select(func.count()).where(Action.kind == ActionKind.VISIT_REPORTED)
    assert db.session.scalar(reported) == 1
