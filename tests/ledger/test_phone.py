"""The ledger's pages on the demo network in Chromium: they fit a 390 px phone (and 360 px),
the picture scales into the screen, and the accessibility rules find nothing serious."""

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from sqlalchemy import select

from convene.accounts.models import Member
from convene.extensions import db
from tests.conftest import load_demo_network
from tests.e2e.test_every_page import (
    AXE_OPTIONS,
    BLOCKING,
    NARROW,
    PHONE,
    RUN_AXE,
    WIDE,
    WIDEST,
    _sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]


def test_the_ledger_pages_fit_a_phone_and_pass_the_rules(app, live_server, browser_page):
    load_demo_network()
    member = db.session.scalar(select(Member).where(Member.email == "member@demo.convene.test"))
    # A name longer than a phone is wide, as people type them.
    member.organisation.name = ("City of " + "Interoperabilityofcitywidedata" * 3)[:120]
    db.session.commit()
    page = browser_page()
    page.set_viewport_size(PHONE)
    _sign_in(page, live_server.url, member)
    problems = []
    for path in ("/network", "/network/cities/mesa-az"):
        page.goto(live_server.url + path)
        for size in (PHONE, NARROW, WIDE):
            page.set_viewport_size(size)
            wide = page.evaluate(WIDEST)
            if wide:
                problems.append(f"{path} at {size['width']} px: {wide}")
            if size is not NARROW:
                if not page.evaluate("() => typeof axe !== 'undefined'"):
                    page.evaluate(AXE_SCRIPT)
                for v in page.evaluate(RUN_AXE, AXE_OPTIONS):
                    if v["impact"] in BLOCKING:
                        problems.append(f"{path} at {size['width']} px: {v['id']} {v['nodes'][:3]}")
        if path == "/network":
            page.set_viewport_size(PHONE)
            box = page.locator("svg.network-picture").bounding_box()
            assert box and box["width"] <= PHONE["width"] and box["height"] > 100
            assert page.locator("svg.network-picture circle").count() == 27
    assert not problems, "\n".join(problems)
