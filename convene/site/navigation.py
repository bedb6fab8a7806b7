"""The navigation bar: each capability's entry shows once its blueprint is registered."""

from flask import current_app, request, url_for
from flask_login import current_user

from convene.accounts.models import Role
from convene.applications.permissions import can_review

# (label, endpoint, role needed or None for everyone; or who may see it, as a function)
NAV = [
    ("Calls", "convenings.upcoming", None),
    ("Topics", "topics.index", Role.MEMBER),
    ("Summit", "summit.index", None),
    ("Calendars", "calendar.index", None),
    ("Network", "ledger.network", Role.MEMBER),
    ("Visits", "visits.index", Role.MEMBER),
    ("Applications", "reviews.board", can_review),
    ("Hosting", "convenings.host_dashboard", Role.HOST),
    ("Subscribe", "calendar.subscribe", Role.MEMBER),
    ("Participation", "convenings.participation", Role.ADMIN),
    ("Organisations", "accounts.organisations", Role.ADMIN),
    ("People", "accounts.members", Role.ADMIN),
    ("Mail", "notifications.admin_mail", Role.ADMIN),
]

# One line under each entry's card on the home page.
DESCRIPTIONS = {
    "convenings.upcoming": "The network's call every other week: dates, topics, how to join.",
    "topics.index": "Propose what the network discusses next, and vote.",
    "summit.index": "The annual summit: agenda, registration and social time.",
    "convenings.host_dashboard": "The calls your organisation hosts: topics, agendas, dates.",
    "calendar.index": "The network's calls and the summit in the calendar you already use: "
    "the public calendar, each partner's calls, the summit.",
    "calendar.subscribe": "Your own calendar: your calls with their join details, and your "
    "summit programme.",
    "ledger.network": "Which cities have met, how and when: the network's ties, drawn.",
    "visits.index": "Peer visits between cities: ask a city to show you how it works, "
    "answer requests, and the visits you are named on.",
    "reviews.board": "Cities applying to join: review them against the rubric, ranked.",
    "convenings.participation": "Who took part in what.",
    "accounts.organisations": "Cities, partners and the programme team.",
    "accounts.members": "Everyone with an account, by organisation and role.",
    "notifications.admin_mail": "Mail that failed, with the reason, and mail still waiting.",
}


def nav_items() -> list[dict]:
    items = []
    for label, endpoint, role in NAV:
        if endpoint not in current_app.view_functions:
            continue
        if callable(role):
            if not role(current_user):
                continue
        elif role is not None and not (
            current_user.is_authenticated and current_user.has_role(role)
        ):
            continue
        items.append(
            {
                "label": label,
                "endpoint": endpoint,
                "url": url_for(endpoint),
                "description": DESCRIPTIONS.get(endpoint, ""),
                "current": False,
            }
        )
    # The current entry: the one whose address is the longest prefix of this page's.
    matches = [i for i in items if _within(request.path, i["url"])]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["current"] = True
    return items


def _within(path: str, url: str) -> bool:
    base = url.rstrip("/")
    if not base:  # the home page contains no other page
        return path == "/"
    return path in (url, base) or path.startswith(base + "/")
