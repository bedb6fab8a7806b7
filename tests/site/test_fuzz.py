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
from collections import defaultdict
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import icalendar
import pytest
import vobject
from sqlalchemy import delete, select
from werkzeug.exceptions import MethodNotAllowed, NotFound

from convene.accounts.invitations import invite_member
from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.calendar.models import CalendarSubscription
from convene.convenings.models import Call, CallStatus
from convene.convenings.swaps import request_swap
from convene.demo import load_demo
from convene.extensions import db
from convene.summit.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SessionSlot,
    SlotAbsence,
    Summit,
)
from convene.summit.seating import add_must_not_pair, confirmed_attendees
from convene.types import utcnow

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
    "notifications.unsubscribe": "its address holds a signed token sent by email",
}

# Forms that end the signed-in session: walked last, once, so the other forms keep a session.
ENDS_SESSION = re.compile(r"sign_out")

ROLES = [Role.MEMBER, Role.CHAMPION, Role.HOST, Role.ADMIN]
PAGES_PER_ENDPOINT = 2
ANONYMOUS = "anonymous"


class PageReader(HTMLParser):
    """The links and POST forms of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "fields": [],
            }
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                self._form["fields"].append((a["name"], None, kind))
                return
            self._form["fields"].append((a["name"], a.get("value") or "", kind))
        elif tag == "select":
            self._select = [a["name"], None, None]
        elif tag == "option" and self._select is not None:
            if self._select[1] is None or "selected" in a:
                self._select[1] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            self._form["fields"].append((self._select[0], self._select[1] or "", "select"))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form["fields"].append((*self._textarea, "textarea"))
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _no_server_error(response, what: str) -> None:
    assert response.status_code < 500, f"{what} answered {response.status_code}"
    # Forms cut a value to their field's limit (tests/test_forms.py): never all of it.
    assert HUGE.encode() not in response.data, f"{what} echoed the whole 100 KB value back"


class Walker:
    """Crawls the site as one client and keeps what it found."""

    def __init__(self, app, client, role: str):
        self.app = app
        self.client = client
        self.role = role
        self.adapter = app.url_map.bind("convene.test")
        self.pages: dict[str, list[str]] = defaultdict(list)  # endpoint -> paths
        self.forms: dict[str, dict] = {}  # endpoint of the action -> form

    def endpoint(self, path: str, method: str = "GET") -> str | None:
        try:
            endpoint, _ = self.adapter.match(urlsplit(path).path, method=method)
        except (NotFound, MethodNotAllowed):
            return None
        except Exception:  # a redirect for a missing slash, and the like
            return None
        return endpoint

    def crawl(self, seeds: list[str], limit: int = 400) -> None:
        queue, seen = list(seeds), set()
        while queue and len(seen) < limit:
            path = queue.pop(0)
            if path in seen:
                continue
            endpoint = self.endpoint(path)
            if endpoint is None or endpoint == "static" or path.endswith((".ics", ".csv")):
                continue
            if len(self.pages[endpoint]) >= PAGES_PER_ENDPOINT:
                continue
            seen.add(path)
            response = self.client.get(path)
            _no_server_error(response, f"GET {path} as {self.role}")
            if response.status_code != 200 or "text/html" not in response.content_type:
                continue
            self.pages[endpoint].append(path)
            reader = PageReader()
            reader.feed(response.get_data(as_text=True))
            for form in reader.forms:
                action = form["action"] or path
                if form["method"] != "post" or not action.startswith("/"):
                    continue
                target = self.endpoint(action, "POST")
                if target is not None and target not in self.forms:
                    self.forms[target] = {"action": action, "fields": form["fields"]}
            for link in reader.links:
                if link.startswith("/") and not link.startswith("//"):
                    queue.append(link.split("#")[0])


def _extend_demo() -> None:
    """States the demo does not hold, so that every form has a page showing it: a pending
    invitation, a pending swap, a pair kept apart and an absence from a seating."""
    admin = db.session.scalar(select(Member).where(Member.role == Role.ADMIN))
    city = db.session.scalar(
        select(Organisation).where(Organisation.kind == "city").order_by(Organisation.id)
    )
    invite_member(admin, city, "invited.person@demo.test", "Invited Person", role=Role.MEMBER)
    calls = db.session.scalars(
        select(Call)
        .where(Call.status == CallStatus.SCHEDULED, Call.starts_at > utcnow() + timedelta(days=8))
        .order_by(Call.starts_at)
    ).all()
    call = calls[0]
    other = next(c for c in calls if c.host_organisation_id != call.host_organisation_id)
    host = db.session.scalar(
        select(Member).where(
            Member.role == Role.HOST, Member.organisation_id == call.host_organisation_id
        )
    )
    request_swap(host, call, other, "Could we trade dates?")
    slot = db.session.scalar(select(SessionSlot).order_by(SessionSlot.id))
    summit = slot.session.summit
    people = confirmed_attendees(summit.id)
    add_must_not_pair(summit, people[0], people[1], "Negotiating a contract")
    db.session.add(SlotAbsence(slot_id=slot.id, member_id=people[2].id))
    db.session.commit()


def _clients(app) -> dict[str, tuple]:
    """A signed-in client per role, from the demo's own people (registered for the summit
    where the role can be, so that the summit's own forms show)."""
    upcoming = select(Summit.id).order_by(Summit.starts_on.desc()).limit(1).scalar_subquery()
    registered = select(Registration.member_id).where(
        Registration.status == RegistrationStatus.CONFIRMED, Registration.summit_id == upcoming
    )
    clients = {}
    for role in ROLES:
        member = db.session.scalar(
            select(Member)
            .where(Member.role == role, Member.active)
            .order_by(Member.id.in_(registered).desc(), Member.id)
        )
        clients[role.value] = (app.test_client(user=member), member)
    # The member has every open session still to join, so the page offers "Sign up".
    member = clients[Role.MEMBER.value][1]
    db.session.execute(delete(SessionSignup).where(SessionSignup.member_id == member.id))
    db.session.commit()
    clients[ANONYMOUS] = (app.test_client(), None)
    return clients


def _seeds() -> list[str]:
    held = db.session.scalar(
        select(Call.id).where(Call.status == CallStatus.HELD).order_by(Call.starts_at.desc())
    )
    seeds = [
        f"/calls/{held}",
        "/",
        "/calls",
        "/calls/archive",
        "/topics",
        "/summit",
        "/calendar/subscribe",
        "/account",
    ]
    seeds += ["/admin/organisations", "/admin/members", "/sign-in", "/password/forgot"]
    for slug in db.session.scalars(select(Summit.slug)):
        seeds.append(f"/summit/{slug}")
    # Cities first, in id order: the first one holds the pending invitation.
    organisations = select(Organisation.slug).order_by(
        (Organisation.kind != OrganisationKind.CITY), Organisation.id
    )
    for slug in db.session.scalars(organisations):
        seeds.append(f"/organisations/{slug}/people")
    return seeds


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
    assert load_demo()
    _extend_demo()
    return app


def test_hostile_input_never_breaks_a_page_a_form_or_a_feed(demo, capsys):
    app = demo
    clients = _clients(app)
    walkers = {}
    for role, (client, _member) in clients.items():
        walker = Walker(app, client, role)
        walker.crawl(_seeds())
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

    # Hostile query parameters on every page each role reached, signed in afresh (the walk
    # above signed out, and may have deactivated or demoted the people it signed in as).
    db.session.expire_all()
    clients = _clients(app)
    queries = 0
    for role, walker in walkers.items():
        client = clients[role][0]
        for paths in filter(None, walker.pages.values()):
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
