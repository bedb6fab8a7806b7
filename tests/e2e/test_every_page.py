"""Every page of the demo, as each role sees it, fits a phone and passes the WCAG 2.1 AA rules.

US cities buy under Section 508, which means WCAG 2.1 AA. The test crawls the demo network
as each role (the visitor, a city member, a city champion, a partner host, a programme admin)
with a test client, keeping one page per GET endpoint (one call page, one summit session...;
feeds and downloads are not pages), then opens each of those pages in Chromium signed in as
that role, with a few error pages and the phone menu open. Some of the demo's text is made of
words and addresses longer than a phone is wide, as people type them. At 390 px and at 360 px
no page may be wider than the viewport (the failure names the widest element); at 1280 px and
at 390 px the accessibility rules engine (axe-core, WCAG 2.0/2.1 A and AA rules) finds no
violation of serious or critical impact. Each form is then submitted once with its text
fields empty, and the page with errors is audited the same way: every field in error points
at its message, and an error summary at the top has the focus. Minor and moderate violations
are counted by rule in the terminal summary, under "accessibility audit".
"""

import time
from collections import Counter, defaultdict

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import expect
from sqlalchemy import select

from convene.convenings.models import Call, CallStatus
from convene.demo import DEMO_PASSWORD
from convene.extensions import db
from convene.summit.models import AgendaItem
from convene.topics.models import Topic, TopicStatus
from tests.conftest import load_demo_network
from tests.site.crawl import ANONYMOUS, ROLES, Walker, extend_demo, seed_paths, signed_in_clients

# The pages' HTML does not depend on the database, and the audit takes a minute and a half:
# it runs in the SQLite pass only.
pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 360, "height": 780}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
BLOCKING = {"serious", "critical"}
ROLE_NAMES = {
    ANONYMOUS: "visitor",
    "member": "city member",
    "champion": "city champion",
    "host": "partner host",
    "admin": "programme admin",
}
# Not sent empty: signing out would end the role's session.
NOT_SUBMITTED = {"accounts.sign_out"}
ERROR_PAGES = {
    ANONYMOUS: ["/no-such-page"],
    "member": ["/admin/members"],
    "champion": [],
    "host": [],
    "admin": ["/calls/99999999"],
}
TEXT_TYPES = [
    "text",
    "email",
    "password",
    "search",
    "url",
    "number",
    "date",
    "time",
    "datetime-local",
    "tel",
]

# What is wider than the viewport, innermost first: elements inside a scrolling box (a wide
# table in .table-scroll) do not count, the box does.
WIDEST = """
() => {
  const root = document.documentElement;
  if (root.scrollWidth <= window.innerWidth) return null;
  const limit = root.clientWidth + 0.5;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = [...document.body.querySelectorAll("*")].filter(
    (el) => el.getBoundingClientRect().right > limit && !clipped(el));
  const innermost = wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)));
  innermost.sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right);
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    if (el.classList.length) name += "." + [...el.classList].join(".");
    const text = (el.textContent || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 60);
    return `${name} (right edge ${Math.round(el.getBoundingClientRect().right)} px) "${text}"`;
  };
  return {width: root.scrollWidth, culprits: innermost.slice(0, 3).map(describe)};
}
"""

RUN_AXE = """
async (options) => {
  const results = await axe.run(document, options);
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary.split("\\n")[1]),
  }));
}
"""

# Empties the text fields of the form posting to `action` and submits it past the browser's
# own checks, so the server's messages show. Returns false when the page has no such form.
SUBMIT_EMPTY = """
([action, textTypes, submit]) => {
  const form = [...document.forms].find((f) => {
    const url = new URL(f.action, location.href);
    return f.method === "post" && url.pathname + url.search === action;
  });
  if (!form || !submit) return !!form;
  for (const el of form.elements) {
    if (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && textTypes.includes(el.type))) {
      if (!el.readOnly) el.value = "";
    }
  }
  form.noValidate = true;
  form.requestSubmit(form.querySelector("[type=submit]") || undefined);
  return true;
}
"""

# Each field in error points at its message; the summary is there and has the focus.
ERROR_TIES = """
() => {
  const untied = [];
  for (const el of document.querySelectorAll(".field.has-error")) {
    const input = el.matches("fieldset") ? el : el.querySelector("[aria-invalid=true]");
    const ids = ((input && input.getAttribute("aria-describedby")) || "").split(/\\s+/);
    const messages = ids.map((id) => document.getElementById(id)).filter(Boolean);
    if (!messages.some((m) => m.classList.contains("error"))) {
      untied.push(el.querySelector("label")?.textContent.trim() || el.outerHTML.slice(0, 80));
    }
  }
  const summary = document.querySelector(".error-summary");
  return {
    errors: document.querySelectorAll(".field.has-error").length,
    untied,
    summary: !!summary,
    focused: !!summary && summary.contains(document.activeElement),
  };
}
"""


class Audit:
    """What the pages showed, kept until the end so that one run lists every problem."""

    def __init__(self):
        self.blocking: list[str] = []
        self.too_wide: list[str] = []
        self.form_problems: list[str] = []
        self.minor: Counter = Counter()  # (rule, impact) -> elements
        self.minor_pages: dict = defaultdict(set)  # (rule, impact) -> pages
        self.views = 0

    def check(self, page, where: str) -> None:
        """Audits the page at its current width."""
        width = page.viewport_size["width"]
        where = f"{where} at {width} px"
        if width == PHONE["width"]:
            self.fits(page, where)
            # The narrowest phone of the range: widths only, the rules ran at 390.
            page.set_viewport_size(NARROW)
            self.fits(page, where.replace(f"at {width} px", f"at {NARROW['width']} px"))
            page.set_viewport_size(PHONE)
        if not page.evaluate("() => typeof axe !== 'undefined'"):
            page.evaluate(AXE_SCRIPT)
        for violation in page.evaluate(RUN_AXE, AXE_OPTIONS):
            key = (violation["id"], violation["impact"])
            if violation["impact"] in BLOCKING:
                nodes = "\n      ".join(violation["nodes"][:5])
                self.blocking.append(
                    f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}"
                    f"\n      {nodes}"
                )
            else:
                self.minor[key] += len(violation["nodes"])
                self.minor_pages[key].add(where)
        self.views += 1

    def fits(self, page, where: str) -> None:
        wide = page.evaluate(WIDEST)
        if wide:
            culprits = "; ".join(wide["culprits"]) or "no single element"
            self.too_wide.append(f"{where} is {wide['width']} px wide: {culprits}")

    def both_widths(self, page, where: str) -> None:
        """Audits at the width the page is at, then at the other one (one resize a page)."""
        self.check(page, where)
        page.set_viewport_size(PHONE if page.viewport_size == WIDE else WIDE)
        self.check(page, where)

    def phone(self, page, where: str) -> None:
        """Audits at the phone's width only."""
        if page.viewport_size != PHONE:
            page.set_viewport_size(PHONE)
        self.check(page, where)

    def summary(self) -> list[str]:
        lines = [
            f"{self.views} page views audited (WCAG 2.1 A and AA rules: every page at 390 px,"
            " each endpoint at 1280 px too)"
        ]
        if not self.minor:
            lines.append("no minor or moderate violations")
        for (rule, impact), count in self.minor.most_common():
            pages = len(self.minor_pages[(rule, impact)])
            lines.append(f"{rule} ({impact}): {count} elements on {pages} page views")
        return lines


class _TerminalSummary:
    def __init__(self, lines: list[str]):
        self.lines = lines

    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.section("accessibility audit")
        for line in self.lines:
            terminalreporter.write_line(line)


def _sign_in(page, base: str, member) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/sign-in" not in page.url, f"{member.email} could not sign in"


def _has_text_field(form: dict) -> bool:
    return any(kind in TEXT_TYPES or kind == "textarea" for _name, _value, kind in form["fields"])


def _long_words(member) -> None:
    """What a tester typed: words and addresses longer than a phone is wide, in the text that
    people write (a topic, a call, a summit item, a name, a city)."""
    word = "Interoperabilityofcitywidedatastandards" * 3  # 117 letters, no space
    url = "https://data.example.gov/" + "open-data-portal/" * 10 + "?q=" + "x" * 60
    topic = db.session.scalar(
        select(Topic).where(Topic.status == TopicStatus.OPEN).order_by(Topic.id)
    )
    topic.title = f"Data standards {word}"[:150]
    topic.description = f"See {url} and {word}."
    call = db.session.scalar(
        select(Call).where(Call.status == CallStatus.SCHEDULED).order_by(Call.starts_at)
    )
    call.title = f"Open data {word}"
    call.agenda = f"1. {word}\n2. Read {url}"
    item = db.session.scalar(select(AgendaItem).order_by(AgendaItem.id))
    item.title = f"Workshop {word}"
    member.name = f"Morgan {word}"[:120]
    member.organisation.name = f"City of {word}"[:120]
    db.session.commit()


@pytest.fixture
def demo(app):
    load_demo_network()
    extend_demo()
    return app


def test_every_page_fits_a_phone_and_passes_the_accessibility_rules(
    demo, live_server, browser_page, request
):
    started = time.monotonic()
    clients = signed_in_clients(demo)
    _long_words(clients["member"][1])
    order = [ANONYMOUS] + [role.value for role in ROLES]
    walkers = {}
    for role in order:
        walker = Walker(demo, clients[role][0], role, pages_per_endpoint=1)
        walker.crawl(seed_paths())
        walkers[role] = walker

    crawled = time.monotonic()
    audit = Audit()
    lines: list[str] = []
    request.config.pluginmanager.register(_TerminalSummary(lines), "convene-accessibility-audit")

    pages = {}
    wide_seen: set[str] = set()
    for role in order:
        page = browser_page()
        page.set_viewport_size(WIDE)
        page.on("dialog", lambda dialog: dialog.accept())
        member = clients[role][1]
        if member is not None:
            _sign_in(page, live_server.url, member)
        pages[role] = page
        for endpoint, paths in sorted(walkers[role].pages.items()):
            if not paths:  # reached only by pages that answered with an error or a redirect
                continue
            page.goto(live_server.url + paths[0])
            where = f"{paths[0]} ({endpoint}) as {ROLE_NAMES[role]}"
            # Every role's page at the phone's width, where layouts differ most; at 1280 px
            # once an endpoint (a role's extra controls are the same elements at any width).
            if endpoint in wide_seen:
                audit.phone(page, where)
            else:
                wide_seen.add(endpoint)
                audit.both_widths(page, where)
        # The error pages a role meets: a page that is not there, one the role may not see.
        for path in ERROR_PAGES[role]:
            page.goto(live_server.url + path)
            audit.both_widths(page, f"{path} (an error page) as {ROLE_NAMES[role]}")
        # The phone menu, open: the role's links and account, on the last page seen.
        page.set_viewport_size(PHONE)
        page.locator(".menu-toggle").click()
        expect(page.locator(".main-nav")).to_be_visible()
        path = page.url.removeprefix(live_server.url)
        audit.check(page, f"{path} with the menu open as {ROLE_NAMES[role]}")
        page.locator(".menu-toggle").click()

    # Each form once, as the least privileged role that found it, with its text fields empty.
    paged = time.monotonic()
    forms: dict[str, tuple[str, dict]] = {}
    for role in order:
        for endpoint, form in walkers[role].forms.items():
            if endpoint not in NOT_SUBMITTED and _has_text_field(form):
                forms.setdefault(endpoint, (role, form))
    submitted, with_errors, accepted, gone = 0, 0, [], []
    # From the end of the alphabet: registering for the summit, which an empty form does,
    # fills the delegation, and the substitution form (sent earlier so) needs a place in it.
    for endpoint, (role, form) in sorted(forms.items(), reverse=True):
        page = pages[role]
        page.goto(live_server.url + form["page"])
        if not page.evaluate(SUBMIT_EMPTY, [form["action"], TEXT_TYPES, False]):
            gone.append(endpoint)  # a form sent before changed what the page offers
            continue
        with page.expect_navigation():
            page.evaluate(SUBMIT_EMPTY, [form["action"], TEXT_TYPES, True])
        submitted += 1
        where = f"{endpoint} sent empty from {form['page']} as {ROLE_NAMES[role]}"
        ties = page.evaluate(ERROR_TIES)
        if ties["errors"]:
            with_errors += 1
            if ties["untied"]:
                audit.form_problems.append(f"{where}: fields not tied to their error: {ties}")
            if not ties["summary"] or not ties["focused"]:
                audit.form_problems.append(f"{where}: no error summary with the focus: {ties}")
        else:
            accepted.append(endpoint)
        audit.both_widths(page, where)

    timing = (
        f"crawl {crawled - started:.0f} s, pages {paged - crawled:.0f} s, "
        f"forms {time.monotonic() - paged:.0f} s"
    )
    endpoints = {role: len(list(filter(None, walkers[role].pages.values()))) for role in order}
    lines += [
        "pages per role: " + ", ".join(f"{ROLE_NAMES[r]} {n}" for r, n in endpoints.items()),
        f"forms sent empty: {submitted}, shown again with errors: {with_errors}",
        "forms that took empty fields: " + (", ".join(accepted) or "none"),
        "forms gone from their page by then: " + (", ".join(gone) or "none"),
        timing,
        *audit.summary(),
    ]
    problems = audit.too_wide + audit.blocking + audit.form_problems
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
