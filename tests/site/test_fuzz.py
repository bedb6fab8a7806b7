"""The standing fuzz test: hostile input on every form and every page, as the roles that reach them.

Nothing here names a form or a field. The test signs in as each role of the demo network,
follows every link it can see (a few pages per endpoint), reads every POST form on those
pages, and submits each form once per field and hostile value, the other fields keeping the
values the page offered. It then sends hostile query parameters to every page and hostile
path parts to every route. No answer may be a server error, and none may echo a huge value
back. Afterwards every demo page and every feed must still answer 200, and every feed must
still parse. A POST route that no page offers a form for fails the test, unless it is listed
below with the reason: a new capability's forms are walked without anyone adding them here.
"""

import re
from urllib.parse import urlencode

import icalendar
import pytest
import vobject
from sqlalchemy import select

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.calendar.models import CalendarSubscription
from convene.extensions import db
from convene.summit.models import Summit
from tests.conftest import load_demo_network
from tests.site.crawl import ANONYMOUS, ROLES, Walker, extend_demo, seed_paths, signed_in_clients

HUGE = "x" * 100_000
# Sent as raw bytes: each becomes %XX in the body, which no UTF-8 decoder accepts.
INVALID_UTF8 = b"\xff\xfe\xc3\x28 \xed\xa0\x80"

HOSTILE_VALUES = {
    "empty": "",
    "100 KB": HUGE,
    "NUL": "before\x00after",
    "CR/LF": "one\r\nSubject: injected\r\n\r\ntwo",
    "controls": "\x07\x1b[31m\x7f\u0085\u2028\u202e",
    "invalid UTF-8": INVALID_UTF8,
    "HTML": '"><script>alert(1)</script><img src=x onerror=alert(1)>',
    "formula": '=HYPERLINK("http://evil.example","x")',
    "year 9999": "9999-12-31",
    "datetime 9999": "9999-12-31T23:59",
    "10^20": "100000000000000000000",
    "negative": "-1",
    "unknown zone": "Mars/Olympus_Mons",
    "path as zone": "../../../../../../etc/passwd",
}

QUERY_NAMES = ["q", "page", "next", "org", "role", "exclude", "summit", "status", "tab"]

# POST routes no page shows a form for, and why. Keep it short: every entry is a route the
# fuzz test cannot reach on its own.
NOT_ON_A_PAGE = {
    "accounts.accept_invitation": "its address holds an emailed secret",
    "accounts.reset_password": "its address holds an emailed secret",
    "accounts.confirm_email": "its address holds a signed token sent to the new address",
    "notifications.unsubscribe": "its address holds a signed token sent by email",
    "apply.draft": "its address holds an emailed secret",
}

# Forms that end the signed-in session: walked last, once, so the other forms keep a session.
ENDS_SESSION = re.compile(r"sign_out")


def _no_server_error(response, what: str) -> None:
    assert response.status_code < 500, f"{what} answered {response.status_code}"
    # Forms cut a value to their field's limit (tests/test_forms.py): never all of it.
    assert HUGE.encode() not in response.data, f"{what} echoed the whole 100 KB value back"


def _feeds(clients) -> list[str]:
    feeds = ["/calendar/public.ics"]
    feeds += [
        f"/calendar/partners/{slug}.ics"
        for slug in db.session.scalars(
            select(Organisation.slug).where(Organisation.kind == OrganisationKind.PARTNER)
        )
    ]
    feeds += [f"/calendar/summits/{i}.ics" for i in db.session.scalars(select(Summit.id))]
    for _client, member in clients.values():
        if member is not None:
            token = db.session.scalar(
                select(CalendarSubscription.token).where(
                    CalendarSubscription.member_id == member.id
                )
            )
            if token:
                feeds.append(f"/calendar/me/{token}.ics")
    return feeds


def _check_feed(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    text = response.get_data(as_text=True)
    calendar = icalendar.Calendar.from_ical(text)
    assert calendar.name == "VCALENDAR", path
    parsed = list(vobject.readComponents(text))
    assert len(parsed) == 1, path
    # Both readers see the same events.
    assert len(calendar.walk("VEVENT")) == len(parsed[0].contents.get("vevent", [])), path


@pytest.fixture
def demo(app):
    load_demo_network()
    extend_demo()
    return app


# Once a run, in the PostgreSQL pass: a value beyond a column's range or type fails there as
# it does on SQLite (an id past 64 bits, a date in year 9999), and the walk takes a minute.
@pytest.mark.postgres_pass
def test_hostile_input_never_breaks_a_page_a_form_or_a_feed(demo, capsys):
    app = demo
    clients = signed_in_clients(app)
    walkers = {}
    for role, (client, _member) in clients.items():
        walker = Walker(app, client, role)
        walker.crawl(seed_paths())
        walkers[role] = walker

    # Every POST route has a form on some page, or a reason why not.
    found = {endpoint for w in walkers.values() for endpoint in w.forms}
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or ())}
    missing = posts - found - set(NOT_ON_A_PAGE)
    assert not missing, f"POST routes no page offers a form for: {sorted(missing)}"
    assert set(NOT_ON_A_PAGE) <= posts, "NOT_ON_A_PAGE names a route that is gone"

    # Each form is walked as the first role (least privileged first) that found it.
    forms: dict[str, tuple[str, dict]] = {}
    for role in [ANONYMOUS] + [r.value for r in ROLES]:
        for endpoint, form in walkers[role].forms.items():
            forms.setdefault(endpoint, (role, form))
    ordered = sorted(forms.items(), key=lambda item: bool(ENDS_SESSION.search(item[0])))

    cases = 0
    for endpoint, (role, form) in ordered:
        client = clients[role][0]
        fields = [(name, value) for name, value, _kind in form["fields"] if name != "csrf_token"]
        defaults = [(name, value) for name, value in fields if value is not None]
        names = list(dict.fromkeys(name for name, _ in fields))
        if ENDS_SESSION.search(endpoint):
            response = client.post(form["action"], data=dict(defaults))
            _no_server_error(response, f"POST {form['action']} as {role}")
            cases += 1
            continue
        for name in names:
            for label, hostile in HOSTILE_VALUES.items():
                body = [(n, v) for n, v in defaults if n != name] + [(name, hostile)]
                response = client.post(
                    form["action"],
                    data=urlencode(body),  # bytes values become %XX, invalid UTF-8 included
                    content_type="application/x-www-form-urlencoded",
                )
                _no_server_error(response, f"POST {form['action']} as {role} with {name}={label}")
                cases += 1

    # Hostile query parameters on every page, signed in afresh (the walk above signed out,
    # and may have deactivated or demoted the people it signed in as); each page once, as the
    # least privileged role that reached it, as the forms above.
    db.session.expire_all()
    clients = signed_in_clients(app)
    queries = 0
    pages: dict[str, tuple[str, list[str]]] = {}
    for role in [ANONYMOUS] + [r.value for r in ROLES]:
        for endpoint, paths in walkers[role].pages.items():
            if paths:
                pages.setdefault(endpoint, (role, paths))
    for role, paths in pages.values():
        client = clients[role][0]
        for label, hostile in HOSTILE_VALUES.items():
            # A web server refuses a request line this long; the app must still cope.
            hostile = hostile[:10_000]
            query = urlencode([(name, hostile) for name in QUERY_NAMES])
            response = client.get(f"{paths[0]}?{query}")
            _no_server_error(response, f"GET {paths[0]} as {role} with ?{label}")
            queries += 1

    # Hostile path parts on every route: ids beyond the database's range, controls in slugs.
    client = clients[Role.ADMIN.value][0]
    for rule in app.url_map.iter_rules():
        if not rule.arguments or "GET" not in (rule.methods or ()):
            continue
        for hostile in ("99999999999999999999", "%00", "%0d%0a", "x" * 300):
            path = rule.rule
            for name in rule.arguments:
                path = re.sub(rf"<[^>]*\b{name}>", hostile, path)
            if "<" in path:
                continue
            response = client.get(path)
            assert response.status_code in (404, 405, 308), f"GET {path}: {response.status_code}"

    # Afterwards: every page still answers, the main ones 200, and every feed parses.
    with app.app_context():
        db.session.expire_all()
    admin = app.test_client(user=db.session.get(Member, clients[Role.ADMIN.value][1].id))
    for path in ["/", "/calls", "/calls/archive", "/topics", "/summit", "/calendar/subscribe"]:
        assert admin.get(path, follow_redirects=True).status_code == 200, path
    for walker in walkers.values():
        for paths in filter(None, walker.pages.values()):
            for path in paths:
                _no_server_error(walker.client.get(path), f"GET {path} afterwards")
    feeds = _feeds(clients)
    for path in feeds:
        _check_feed(admin, path)

    with capsys.disabled():
        print(
            f"\nfuzz: {len(forms)} forms, {cases} form x field x value posts, "
            f"{queries} hostile queries, {len(feeds)} feeds parsed afterwards"
        )
    assert cases > 500
