from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from convene.extensions import db
from convene.site.home import home_for, plural, summit_dates
from convene.types import utcnow
from convene.zones import viewer_zone_name

bp = Blueprint("site", __name__)


@bp.get("/")
def home():
    """Signed in, the page is the member's own (a block per role); else the public picture."""
    now = utcnow()
    member = current_user if current_user.is_authenticated else None
    return render_template(
        "site/home.html",
        home=home_for(member, viewer_zone_name(), now),
        now=now,
        plural=plural,
        summit_dates=summit_dates,
    )


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the database does not answer
        db.session.rollback()
        current_app.logger.warning("health check: database unreachable: %s", exc)
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
