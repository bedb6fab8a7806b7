"""The navigation bar: each capability's entry shows once its blueprint is registered."""

from flask import current_app, request
from flask_login import current_user

from convene.accounts.models import Role

# (label, endpoint, role needed or None for everyone, shown to the public)
NAV = [
    ("Calls", "convenings.upcoming", None),
    ("Topics", "topics.index", Role.MEMBER),
    ("Summit", "summit.index", None),
    ("Hosting", "convenings.host_dashboard", Role.HOST),
    ("Subscribe", "calendar.subscribe", Role.MEMBER),
    ("Participation", "convenings.participation", Role.ADMIN),
    ("Organisations", "accounts.organisations", Role.ADMIN),
    ("People", "accounts.members", Role.ADMIN),
]


def nav_items() -> list[dict]:
    items = []
    for label, endpoint, role in NAV:
        if endpoint not in current_app.view_functions:
            continue
        if role is not None and not (current_user.is_authenticated and current_user.has_role(role)):
            continue
        blueprint = endpoint.split(".")[0]
        items.append(
            {"label": label, "endpoint": endpoint, "current": request.blueprint == blueprint}
        )
    return items
