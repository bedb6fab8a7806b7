"""Sessions that can end: each one hangs on the member's session token.

Flask-Login keeps a member's id in the (signed, client-side) session cookie and in the
remember cookie. That id is the member's `session_token` plus a nonce per sign-in, so the
server can end every session of a member, on every device, by replacing the token: a cookie
saved before then, replayed later, names a token nobody has. The nonce only makes the
remember cookies of two sign-ins differ; the loader ignores it.
"""

from flask import flash, redirect, request, url_for
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy import select

from convene.accounts.models import SESSION_ID_SEPARATOR, Member, new_session_token
from convene.extensions import db
from convene.types import utcnow


def load_member(session_id: str) -> Member | None:
    """The active member whose token the session or remember cookie carries, else None."""
    token = (session_id or "").split(SESSION_ID_SEPARATOR, 1)[0]
    if not token:
        return None
    member = db.session.scalar(select(Member).where(Member.session_token == token))
    return member if member is not None and member.active else None


# A page address longer than this is not carried through sign-in: the visitor lands on the
# page without its query rather than on a sign-in link that repeats a huge one.
NEXT_MAX = 1_000


def configure_login(login: LoginManager) -> None:
    """Sign-ins store `Member.sign_in_id()`; the loader reads the token back."""
    login.user_loader(load_member)
    login.id_attribute = "sign_in_id"
    login.unauthorized_handler(ask_to_sign_in)


def ask_to_sign_in():
    """Flask-Login's redirect to the sign-in page, with the page to come back to kept short
    and relative (Flask-Login would carry the whole absolute URL)."""
    flash("Sign in to see that page.", "info")
    target = request.full_path if request.query_string else request.path
    if len(target) > NEXT_MAX:
        target = request.path[:NEXT_MAX]
    return redirect(url_for("accounts.sign_in", next=target))


def end_sessions(member: Member) -> None:
    """End every session of the member, remember-me cookies included, on every device.

    Called when they sign out, set a password, are deactivated, or change role or
    organisation: whatever a cookie saved before that proved, it proves nothing now.
    """
    member.session_token = new_session_token()


def start_session(member: Member, remember: bool = False) -> None:
    """Sign the member in on this browser; whoever was signed in here before is signed out,
    their remember cookie too."""
    logout_user()
    login_user(member, remember=remember)
    member.last_sign_in_at = utcnow()


def sign_out_everywhere(member: Member) -> None:
    """Sign out here and on every other device."""
    end_sessions(member)
    logout_user()
