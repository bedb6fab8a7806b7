"""A role-by-role crawl of the demo network, shared by the fuzz test and the browser audit.

`signed_in_clients` gives a test client per role (and one for the anonymous visitor), `seeds`
the pages a crawl starts from, and `Walker` follows every link a role can see, keeping a few
pages per endpoint and the POST forms it met. `extend_demo` adds the states the demo does not
hold, so that every form has a page showing it.
"""

from collections import defaultdict
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from werkzeug.exceptions import MethodNotAllowed, NotFound

from convene.accounts.invitations import invite_member
from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.applications.models import (
    Decision,
    LeadershipMeeting,
    Review,
    ReviewAssignment,
)
from convene.convenings.models import Call, CallStatus
from convene.convenings.swaps import request_swap
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
from convene.visits.models import PracticeArea, Visit

ROLES = [Role.MEMBER, Role.CHAMPION, Role.HOST, Role.ADMIN]
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


class Walker:
    """Crawls the site as one client and keeps what it found."""

    def __init__(self, app, client, role: str, pages_per_endpoint: int = 2):
        self.app = app
        self.pages_per_endpoint = pages_per_endpoint
        self.client = client
        self.role = role
        self.adapter = app.url_map.bind("convene.test")
        self.pages: dict[str, list[str]] = defaultdict(list)  # endpoint -> paths
        self.forms: dict[str, dict] = {}  # endpoint of the action -> form (and its page)

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
            if len(self.pages[endpoint]) >= self.pages_per_endpoint:
                continue
            seen.add(path)
            response = self.client.get(path)
            assert response.status_code < 500, f"GET {path} as {self.role}: {response.status_code}"
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
                    self.forms[target] = {"action": action, "fields": form["fields"], "page": path}
            for link in reader.links:
                if link.startswith("/") and not link.startswith("//"):
                    queue.append(link.split("#")[0])


def extend_demo() -> None:
    """States the demo does not hold, so that every form has a page showing it: a pending
    invitation, a pending swap, a pair kept apart, an absence from a seating and a practice
    area no city lists yet (the only kind that may be removed)."""
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
    db.session.add(PracticeArea(name="Participatory budgeting", slug="participatory-budgeting"))
    # An application with a meeting coming that each admin is to review and has not yet:
    # its page offers the review form and the meeting's.
    reviewing = _first_application_under_review()
    assigned = set(
        db.session.scalars(
            select(ReviewAssignment.member_id).where(ReviewAssignment.application_id == reviewing)
        )
    )
    admins = list(db.session.scalars(select(Member.id).where(Member.role == Role.ADMIN)))
    db.session.execute(
        delete(Review).where(Review.application_id == reviewing, Review.member_id.in_(admins))
    )
    for admin_id in admins:
        if admin_id not in assigned:
            db.session.add(ReviewAssignment(application_id=reviewing, member_id=admin_id))
    db.session.commit()


def _first_application_under_review() -> int:
    """The first with a meeting with its leadership to come: its page offers the most forms."""
    return db.session.scalar(
        select(LeadershipMeeting.application_id)
        .where(LeadershipMeeting.cancelled.is_(False))
        .order_by(LeadershipMeeting.application_id)
        .limit(1)
    )


def signed_in_clients(app) -> dict[str, tuple]:
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


def seed_paths() -> list[str]:
    held = db.session.scalar(
        select(Call.id).where(Call.status == CallStatus.HELD).order_by(Call.starts_at.desc())
    )
    applications = []
    # First, before the board's links fill the two pages kept per endpoint: an application
    # with a meeting coming (extend_demo gives the admins a review to write
    # on it), and one with a decision waiting for its letter (its page offers to take it back).
    applications.append(f"/applications/{_first_application_under_review()}")
    pending = db.session.scalar(
        select(Decision.application_id).where(Decision.letter_id.is_(None)).order_by(Decision.id)
    )
    applications.append(f"/applications/{pending}")
    seeds = [
        *applications,
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
    # A visit at each step, at the address of that step's form (a page per endpoint).
    for status, step in (("requested", "answer"), ("dates_proposed", "proposal"),
                         ("accepted", "approve")):  # fmt: skip
        visit_id = db.session.scalar(
            select(Visit.id).where(Visit.status == status).order_by(Visit.id).limit(1)
        )
        if visit_id is not None:
            seeds.append(f"/visits/{visit_id}/{step}")
    # A cancelled visit that had been approved: the page that brings it back.
    cancelled = db.session.scalar(
        select(Visit.id)
        .where(Visit.status == "cancelled", Visit.approved_at.is_not(None))
        .order_by(Visit.id)
        .limit(1)
    )
    if cancelled is not None:
        seeds.append(f"/visits/{cancelled}/reinstate")
    # Cities first, in id order: the first one holds the pending invitation.
    organisations = select(Organisation.slug).order_by(
        (Organisation.kind != OrganisationKind.CITY), Organisation.id
    )
    for slug in db.session.scalars(organisations):
        seeds.append(f"/organisations/{slug}/people")
    return seeds
