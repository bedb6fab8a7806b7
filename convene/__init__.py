"""Convene: the convening side of a peer-learning network of cities."""

import os

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix

from convene.config import instance_path, load_config
from convene.extensions import csrf, db, limiter, login, mail, migrate
from convene.inputs import install as install_inputs

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def create_app(config: dict | str | None = None) -> Flask:
    """Build the app. `config` is a config name (development, testing, production), or a
    dict laid over the settings of $CONVENE_ENV (default development)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
        instance_path=str(instance_path().absolute()),
    )
    name = config if isinstance(config, str) else os.environ.get("CONVENE_ENV") or "development"
    app.config.update(load_config(name))
    if isinstance(config, dict):
        app.config.update(config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql://"):
        # psycopg 3 is the driver; accept the plain URL that hosting platforms hand out.
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)

    _init_extensions(app)
    install_inputs(app)  # before the blueprints: their routes use its converters
    _register_blueprints(app)
    _register_cli(app)
    _register_templates(app)
    _register_errors(app)
    app.after_request(_security_headers)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    _install_fast_paths(app)
    return app


def _install_fast_paths(app: Flask) -> None:
    from convene.calendar.fastpath import FeedFastPath

    app.wsgi_app = FeedFastPath(app, app.wsgi_app)


def _init_extensions(app: Flask) -> None:
    from convene import models  # noqa: F401  (every model, for Alembic and create_all)
    from convene.accounts.sessions import configure_login
    from convene.calendar.freshness import watch_changes
    from convene.sqlite import enable_sqlite_foreign_keys

    db.init_app(app)
    watch_changes()
    with app.app_context():
        enable_sqlite_foreign_keys(db.engine)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    login.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    configure_login(login)


def _register_blueprints(app: Flask) -> None:
    from convene.accounts.routes import bp as accounts
    from convene.applications.apply_routes import bp as apply
    from convene.applications.decision_routes import bp as decisions
    from convene.applications.review_routes import bp as reviews
    from convene.breakouts.routes import bp as breakouts
    from convene.calendar.routes import bp as calendar
    from convene.convenings.routes import bp as convenings
    from convene.ledger.routes import bp as ledger
    from convene.notifications.routes import bp as notifications
    from convene.site.routes import bp as site
    from convene.summit.routes import bp as summit
    from convene.topics.routes import bp as topics
    from convene.visits.routes import bp as visits

    app.register_blueprint(site)
    app.register_blueprint(accounts)
    app.register_blueprint(convenings)
    app.register_blueprint(topics)
    app.register_blueprint(calendar)
    app.register_blueprint(summit)
    app.register_blueprint(notifications)
    app.register_blueprint(ledger)
    app.register_blueprint(visits)
    app.register_blueprint(breakouts)
    app.register_blueprint(apply)
    app.register_blueprint(reviews)
    app.register_blueprint(decisions)


def _register_cli(app: Flask) -> None:
    from convene.accounts.cli import accounts_cli
    from convene.convenings.cli import calls_cli
    from convene.demo import demo_cli
    from convene.notifications.cli import mail_cli
    from convene.summit.cli import summit_cli

    app.cli.add_command(accounts_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(calls_cli)
    app.cli.add_command(summit_cli)
    app.cli.add_command(demo_cli)


def _register_templates(app: Flask) -> None:
    from convene.accounts.permissions import can_manage_organisation
    from convene.calendar.links import google_calendar_url, outlook_calendar_url
    from convene.history.wording import history_lines
    from convene.site.navigation import nav_items
    from convene.text import render_markdown
    from convene.zones import format_instant, in_person_time, venue_city, viewer_zone_name

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["instant"] = format_instant
    app.jinja_env.filters["in_person_time"] = in_person_time
    app.jinja_env.filters["venue_city"] = venue_city
    app.jinja_env.globals.update(
        nav_items=nav_items,
        viewer_zone_name=viewer_zone_name,
        can_manage_organisation=can_manage_organisation,
        google_calendar_url=google_calendar_url,
        outlook_calendar_url=outlook_calendar_url,
        history_lines=history_lines,
    )

    @app.context_processor
    def programme():
        return {"programme_name": app.config["PROGRAMME_NAME"]}


ERROR_TEMPLATES = {400: "400", 403: "403", 404: "404", 405: "400", 413: "413", 429: "429"}


def _register_errors(app: Flask) -> None:
    """Every error in the site's layout; a server error renders even when the database is down."""

    def rollback() -> None:
        try:
            db.session.rollback()
        except Exception:  # the database may be the reason we are here
            app.logger.exception("rollback after an error failed")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if code >= 500:
            return server_error(error)
        rollback()
        template = ERROR_TEMPLATES.get(code, "400")
        response = app.make_response(
            (render_template(f"errors/{template}.html", error=error), code)
        )
        # Keep what the exception carries, such as Allow on a 405 or Retry-After on a 429.
        for key, value in error.get_headers():
            if key.lower() != "content-type":
                response.headers[key] = value
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error):
        rollback()
        try:
            return render_template("errors/500.html", error=error), getattr(error, "code", 500)
        except Exception:
            # The layout itself failed (for example, loading the signed-in member): plain page.
            app.logger.exception("the error page could not be rendered")
            return FALLBACK_500, 500, {"Content-Type": "text/html; charset=utf-8"}


FALLBACK_500 = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Something went wrong</title>"
    "<h1>Something went wrong on our side</h1><p>Nothing you entered was saved. "
    "Try again in a moment.</p></html>"
)


SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("HSTS") and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # Pages may show personal data: not stored by shared caches unless the view decided
    # otherwise (feeds and downloads set their own Cache-Control, which is kept).
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store" if request.cookies else "no-cache")
    return response
