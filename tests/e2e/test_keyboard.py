"""A member who uses only the keyboard signs in, answers a call, votes and registers.

Tab, Shift+Tab, Enter and Space only: no clicks, no typed addresses after the first page.
At every stop the focused element shows a focus ring that can be seen: an outline or a box
shadow, in a colour with at least 3:1 contrast against what surrounds it (WCAG 2.4.7, and
1.4.11 for the ring itself). The skip link is the first stop of a page and moves the focus to
the main content.
"""

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from convene.convenings.models import Rsvp, RsvpAnswer
from convene.extensions import db
from convene.summit.models import Registration, RegistrationStatus, Summit
from convene.topics.models import Topic, TopicVote
from convene.types import utcnow
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

MAX_STOPS = 80

# The focused element, how its ring looks, and the contrast of the ring with the background
# it is drawn on (the ring sits outside the element, so: the parent's background).
FOCUS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const rgba = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r, g, b, a};
  };
  const luminance = ({r, g, b}) => {
    const c = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  let background = {r: 255, g: 255, b: 255};
  for (let p = el.parentElement; p; p = p.parentElement) {
    const colour = rgba(getComputedStyle(p).backgroundColor);
    if (colour && colour.a > 0) { background = colour; break; }
  }
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const ring = outline ? rgba(style.outlineColor) : null;
  const [light, dark] = ring
    ? [luminance(ring), luminance(background)].sort((a, b) => b - a)
    : [0, 0];
  const name = (el.getAttribute("aria-label") || el.innerText || el.value || "").trim();
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: name.replace(/\\s+/g, " ").slice(0, 80),
    outline,
    shadow: style.boxShadow !== "none",
    contrast: ring ? (light + 0.05) / (dark + 0.05) : 0,
  };
}
"""


def _visible_focus(page) -> dict:
    focus = page.evaluate(FOCUS)
    assert focus is not None, f"nothing has the focus on {page.url}"
    assert focus["outline"] or focus["shadow"], f"no visible focus on {focus} at {page.url}"
    if focus["outline"]:
        assert focus["contrast"] >= 3, f"the focus ring of {focus} is too faint at {page.url}"
    return focus


def _tab_to(page, selector: str, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the element matching `selector` has the focus, checking
    the focus ring at every stop on the way."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_STOPS):
        page.keyboard.press(key)
        if page.evaluate("document.activeElement === document.body"):
            continue  # past the last stop, the browser's own controls: the next press wraps
        focus = _visible_focus(page)
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return focus
    raise AssertionError(f"{MAX_STOPS} presses of {key} on {page.url} never reached {selector}")


def _skip_link_first(page) -> None:
    """The first Tab of a page lands on the skip link, and Enter moves the focus to main."""
    page.keyboard.press("Tab")
    focus = _visible_focus(page)
    assert focus["name"] == "Skip to content", f"first stop on {page.url} is {focus}"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.fixture
def network(app, make_member, make_call):
    member = make_member(name="Kim Keyboard")
    call = make_call(starts_at=utcnow().replace(microsecond=0) + timedelta(days=3))
    topic = Topic(title="Open data standards", proposer=make_member(name="Pat Proposer"))
    now = utcnow()
    summit = Summit(
        name="Summit 2027",
        slug="summit-2027",
        starts_on=datetime(2027, 4, 13).date(),
        ends_on=datetime(2027, 4, 15).date(),
        venue="Hyatt Regency Chicago",
        address="151 East Wacker Drive, Chicago, IL 60601",
        zone="America/Chicago",
        capacity=50,
        delegation_limit=3,
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=now + timedelta(days=60),
    )
    db.session.add_all([topic, summit])
    db.session.commit()
    return member, call, topic, summit


def test_sign_in_rsvp_vote_and_register_with_the_keyboard_only(live_server, browser_page, network):
    member, call, topic, summit = network
    page = browser_page()
    page.goto(live_server.url + "/")

    # The skip link comes first; then the header's Sign in.
    _skip_link_first(page)
    _tab_to(page, "a[href^='/sign-in']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sign-in**")

    _skip_link_first(page)
    _tab_to(page, "input[name=email]")
    page.keyboard.type(member.email)
    _tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    # Back to the email and forward again: the order holds both ways.
    _tab_to(page, "input[name=email]", backwards=True)
    _tab_to(page, "input[name=password]")
    _tab_to(page, "[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Kim Keyboard")).to_be_visible()

    # RSVP: back from the content to the Calls menu entry, the call, then Yes.
    _skip_link_first(page)
    _tab_to(page, ".main-nav a[href='/calls']", backwards=True)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, f"main a[href='/calls/{call.id}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _skip_link_first(page)
    _tab_to(page, "form.rsvp button[value=yes]")
    with page.expect_navigation():
        page.keyboard.press("Space")
    db.session.expire_all()
    rsvp = db.session.scalar(
        select(Rsvp).where(Rsvp.call_id == call.id, Rsvp.member_id == member.id)
    )
    assert rsvp is not None and rsvp.answer == RsvpAnswer.YES

    # Vote: the Topics menu entry, then Support on the topic (answered in place).
    _tab_to(page, ".main-nav a[href='/topics']", backwards=True)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, f"form.vote-form[data-topic='{topic.id}'] button")
    page.keyboard.press("Space")
    expect(page.locator(f"form.vote-form[data-topic='{topic.id}'] .vote-label")).to_have_text(
        "Withdraw support"
    )
    db.session.expire_all()
    assert db.session.scalar(
        select(TopicVote).where(TopicVote.topic_id == topic.id, TopicVote.member_id == member.id)
    )

    # Register: the Summit menu entry, Register, then the form's button.
    _tab_to(page, ".main-nav a[href='/summit/']", backwards=True)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, f"a[href='/summit/{summit.slug}/register']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _skip_link_first(page)
    _tab_to(page, "main [type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    db.session.expire_all()
    registration = db.session.scalar(
        select(Registration).where(
            Registration.summit_id == summit.id, Registration.member_id == member.id
        )
    )
    assert registration is not None and registration.status == RegistrationStatus.CONFIRMED


def test_a_form_with_errors_sends_the_focus_to_its_summary(live_server, browser_page, network):
    """A failed sign-in from the keyboard: the summary has the focus, its link leads to the
    field, which names its error."""
    page = browser_page()
    page.goto(live_server.url + "/sign-in")
    _tab_to(page, "main [type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    _tab_to(page, ".error-summary a[href='#email']")
    page.keyboard.press("Enter")
    email = page.locator("#email")
    expect(email).to_be_focused()
    expect(email).to_have_attribute("aria-invalid", "true")
    error_id = email.get_attribute("aria-describedby").split()[-1]
    assert page.locator(f"#{error_id}").inner_text()
    _visible_focus(page)


def test_the_phone_menu_opens_and_closes_from_the_keyboard(live_server, browser_page, network):
    member = network[0]
    page = browser_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_label("Password", exact=True).press("Enter")
    toggle = page.locator(".menu-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".main-nav")).to_be_hidden()

    _tab_to(page, ".menu-toggle")
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    _tab_to(page, ".main-nav a[href='/topics']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.keyboard.press("Escape")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".main-nav")).to_be_hidden()


def test_the_focus_stays_on_the_vote_button_after_a_vote(live_server, browser_page, network):
    member, _call, topic, _summit = network
    page = browser_page()
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_label("Password", exact=True).press("Enter")
    page.goto(live_server.url + "/topics")
    button = page.locator(f"form.vote-form[data-topic='{topic.id}'] button")
    _tab_to(page, f"form.vote-form[data-topic='{topic.id}'] button")
    page.keyboard.press("Space")
    expect(button.locator(".vote-label")).to_have_text("Withdraw support")
    expect(button).to_be_focused(timeout=1000)
