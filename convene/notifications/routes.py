"""The admins' view of the outbox: mail that failed, with its reason, and mail waiting."""

from flask import Blueprint, render_template, request

from convene.accounts.models import Role
from convene.accounts.permissions import role_required
from convene.notifications.models import OutboxStatus
from convene.notifications.outbox import undelivered

bp = Blueprint("notifications", __name__)

SHOWN = 200


@bp.get("/admin/mail")
@role_required(Role.ADMIN)
def admin_mail():
    choice = request.args.get("status")
    status = OutboxStatus(choice) if choice in ("failed", "pending") else None
    return render_template(
        "notifications/admin_mail.html",
        messages=undelivered(status, limit=SHOWN),
        status=status.value if status else "",
        shown=SHOWN,
    )
