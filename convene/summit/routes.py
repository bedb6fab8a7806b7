"""The summit pages for everyone: the summit and its agenda, registering, social sessions."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from convene.accounts.forms import ConfirmForm
from convene.accounts.models import Member
from convene.extensions import db
from convene.summit.agenda import (
    by_day,
    clashes,
    current_summit,
    personal_agenda,
    pick_item,
    public_agenda,
    unpick_item,
)
from convene.summit.forms import RegistrationForm, SubstituteForm
from convene.summit.models import (
    AgendaItem,
    AgendaKind,
    AgendaPick,
    Registration,
    RegistrationStatus,
    SessionKind,
    SessionSignup,
    SocialSession,
    Summit,
)
from convene.summit.permissions import (
    can_admin_summit,
    can_manage_delegation,
    can_register_for,
    can_substitute,
)
from convene.summit.registration import (
    LIVE,
    Answers,
    RegistrationError,
    cancel,
    confirmed_count,
    delegation_count,
    live_registration,
    place_is_wanted,
    register,
    substitute,
    waiting_count,
    waiting_in_order,
    waitlist_position,
)
from convene.summit.sessions import join_session, leave_session, signup_counts
from convene.summit.sessions import place_is_wanted as session_place_is_wanted
from convene.types import utcnow
from convene.zones import member_zone_name

bp = Blueprint("summit", __name__, url_prefix="/summit")


@bp.app_template_global()
def summit_can_admin() -> bool:
    return can_admin_summit(current_user)


def get_summit(slug: str) -> Summit:
    return db.first_or_404(select(Summit).where(Summit.slug == slug))


def is_past(summit: Summit) -> bool:
    """A summit whose last day is gone: its page is a record (agenda, place, dates), and
    nothing on it can be changed by attendees any more."""
    return summit.ends_on < utcnow().date()


def _refuse_if_past(summit: Summit):
    """A redirect with a message for a change asked of a past summit, or None."""
    if is_past(summit):
        flash(f"{summit.name} is over: its registrations and agenda stay as they were.", "error")
        return redirect(url_for("summit.show", slug=summit.slug))
    return None


def _other_summits(summit: Summit) -> list[Summit]:
    """Every other summit, newest first, for the list of earlier (and later) summits."""
    return list(
        db.session.scalars(
            select(Summit).where(Summit.id != summit.id).order_by(Summit.starts_on.desc())
        )
    )


@bp.get("/")
def index():
    summit = current_summit()
    if summit is None:
        return render_template("summit/none.html")
    return _show(summit)


@bp.get("/<slug>")
def show(slug: str):
    return _show(get_summit(slug))


def _show(summit: Summit):
    items = public_agenda(summit)
    sessions = db.session.scalars(
        select(SocialSession)
        .where(SocialSession.summit_id == summit.id)
        .order_by(SocialSession.starts_at, SocialSession.id)
        .options(selectinload(SocialSession.slots))
    ).all()
    mine = None
    position = None
    picks: set[int] = set()
    held: dict[int, SessionSignup] = {}
    if current_user.is_authenticated:
        mine = live_registration(summit.id, current_user.id)
        position = waitlist_position(mine) if mine is not None else None
        picks = set(
            db.session.scalars(
                select(AgendaPick.agenda_item_id).where(AgendaPick.member_id == current_user.id)
            )
        )
        held = {
            s.session_id: s
            for s in db.session.scalars(
                select(SessionSignup).where(SessionSignup.member_id == current_user.id)
            )
        }
    others = _other_summits(summit)
    return render_template(
        "summit/show.html",
        summit=summit,
        is_past=is_past(summit),
        earlier=[s for s in others if s.starts_on < summit.starts_on],
        later=[s for s in others if s.starts_on >= summit.starts_on],
        waiting=waiting_count(summit.id),
        confirmed=confirmed_count(summit.id),
        days=by_day(items, summit.zone),
        sessions=sessions,
        counts=signup_counts([s.id for s in sessions if s.kind == SessionKind.OPEN]),
        registration=mine,
        position=position,
        picks=picks,
        held=held,
        confirm=ConfirmForm(),
        AgendaKind=AgendaKind,
        can_manage_delegation=can_manage_delegation,
    )


def _registrable_members(summit: Summit) -> list[Member]:
    """Whom the current user may register: themselves, their city's people (champion), anyone
    (admin), less those already registered."""
    query = select(Member).where(Member.active.is_(True)).order_by(Member.name)
    if not current_user.is_admin:
        if current_user.is_champion:
            query = query.where(Member.organisation_id == current_user.organisation_id)
        else:
            query = query.where(Member.id == current_user.id)
    taken = select(Registration.member_id).where(
        Registration.summit_id == summit.id, Registration.status.in_(LIVE)
    )
    query = query.where(Member.id.not_in(taken)).options(selectinload(Member.organisation))
    return [m for m in db.session.scalars(query) if can_register_for(current_user, m)]


@bp.route("/<slug>/register", methods=["GET", "POST"])
@login_required
def register_view(slug: str):
    summit = get_summit(slug)
    form = RegistrationForm()
    members = _registrable_members(summit)
    choices = [(m.id, f"{m.name} ({m.organisation.name})") for m in members]
    if not any(m.id == current_user.id for m in members):
        # Already registered themselves: a champion may still register colleagues.
        pass
    form.member_id.choices = choices
    if request.method == "GET" and any(m.id == current_user.id for m in members):
        form.member_id.data = current_user.id
    if form.validate_on_submit():
        member = db.session.get(Member, form.member_id.data)
        if member is None or not can_register_for(current_user, member):
            abort(403)
        answers = Answers(
            dietary_needs=(form.dietary_needs.data or "").strip() or None,
            accessibility_needs=(form.accessibility_needs.data or "").strip() or None,
            arrives_on=form.arrives_on.data,
            departs_on=form.departs_on.data,
        )
        try:
            registration = register(summit, member, answers, actor=current_user)
            position = waitlist_position(registration)
            db.session.commit()
        except RegistrationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template(
                "summit/register.html", summit=summit, form=form, refused=str(exc)
            ), 409
        who = "You are" if member.id == current_user.id else f"{member.name} is"
        if registration.status == RegistrationStatus.CONFIRMED:
            flash(f"{who} confirmed for {summit.name}.", "success")
        else:
            flash(
                f"{summit.name} is full: {who.lower() if who == 'You are' else who} on the "
                f"waitlist, at position {position}.",
                "warning",
            )
        if member.id != current_user.id and can_manage_delegation(
            current_user, member.organisation_id
        ):
            return redirect(
                url_for("summit.delegation", slug=summit.slug, org=member.organisation_id)
            )
        return redirect(url_for("summit.show", slug=summit.slug))
    return render_template("summit/register.html", summit=summit, form=form, refused=None)


def _registration(summit: Summit, registration_id: int) -> Registration:
    registration = db.get_or_404(Registration, registration_id)
    if registration.summit_id != summit.id:
        abort(404)
    return registration


def _confirmed_loss() -> bool:
    """The person saw the warning that the place goes to someone else, and went on."""
    return request.form.get("confirm_loss") == "yes"


@bp.get("/<slug>/registrations/<int:registration_id>/cancel")
@login_required
def confirm_cancel(slug: str, registration_id: int):
    """The step before cancelling: what is given up, and that it cannot be taken back."""
    summit = get_summit(slug)
    registration = _registration(summit, registration_id)
    if not can_register_for(current_user, registration.member):
        abort(403)
    if (refused := _refuse_if_past(summit)) is not None:
        return refused
    if not registration.is_live:
        flash("That registration is already cancelled.", "info")
        return redirect(url_for("summit.show", slug=summit.slug))
    return render_template(
        "summit/confirm_loss.html",
        summit=summit,
        what="cancel",
        registration=registration,
        yours=registration.member_id == current_user.id,
        wanted=place_is_wanted(registration),
        waiting=waiting_count(summit.id),
        action=url_for("summit.cancel_view", slug=summit.slug, registration_id=registration.id),
        back=_back_from_registration(summit, registration),
    )


def _back_from_registration(summit: Summit, registration: Registration) -> str:
    if registration.member_id != current_user.id and can_manage_delegation(
        current_user, registration.organisation_id
    ):
        return url_for("summit.delegation", slug=summit.slug, org=registration.organisation_id)
    return url_for("summit.show", slug=summit.slug)


@bp.post("/<slug>/registrations/<int:registration_id>/cancel")
@login_required
def cancel_view(slug: str, registration_id: int):
    summit = get_summit(slug)
    registration = _registration(summit, registration_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not can_register_for(current_user, registration.member):
        abort(403)
    if (refused := _refuse_if_past(summit)) is not None:
        return refused
    if not _confirmed_loss() and registration.is_live and place_is_wanted(registration):
        # Asked without the warning (an old page, a button elsewhere): show it first.
        return redirect(
            url_for("summit.confirm_cancel", slug=summit.slug, registration_id=registration.id),
            303,
        )
    try:
        promoted = cancel(registration, actor=current_user)
        db.session.commit()
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"The registration of {registration.member.name} is cancelled.", "success")
        if promoted and can_admin_summit(current_user):
            flash(
                "Promoted from the waitlist: " + ", ".join(r.member.name for r in promoted) + ".",
                "info",
            )
    if registration.member_id != current_user.id and can_manage_delegation(
        current_user, registration.organisation_id
    ):
        return redirect(
            url_for("summit.delegation", slug=summit.slug, org=registration.organisation_id)
        )
    return redirect(url_for("summit.show", slug=summit.slug))


@bp.route("/<slug>/registrations/<int:registration_id>/substitute", methods=["GET", "POST"])
@login_required
def substitute_view(slug: str, registration_id: int):
    summit = get_summit(slug)
    registration = _registration(summit, registration_id)
    if not can_substitute(current_user, registration):
        abort(403)
    if (refused := _refuse_if_past(summit)) is not None:
        return refused
    form = SubstituteForm()
    taken = select(Registration.member_id).where(
        Registration.summit_id == summit.id, Registration.status.in_(LIVE)
    )
    colleagues = db.session.scalars(
        select(Member)
        .where(
            Member.organisation_id == registration.organisation_id,
            Member.active.is_(True),
            Member.id.not_in(taken),
        )
        .order_by(Member.name)
    ).all()
    form.member_id.choices = [(m.id, m.name) for m in colleagues]
    if form.validate_on_submit():
        replacement = db.session.get(Member, form.member_id.data)
        answers = Answers(
            dietary_needs=form.dietary_needs.data or None,
            accessibility_needs=form.accessibility_needs.data or None,
            arrives_on=form.arrives_on.data,
            departs_on=form.departs_on.data,
        )
        try:
            substitute(registration, replacement, actor=current_user, answers=answers)
            db.session.commit()
        except RegistrationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(f"{replacement.name} now holds the place.", "success")
            return redirect(
                url_for("summit.delegation", slug=summit.slug, org=registration.organisation_id)
            )
    return render_template(
        "summit/substitute.html", summit=summit, registration=registration, form=form
    )


@bp.get("/<slug>/delegation")
@login_required
def delegation(slug: str):
    """A champion's view of their city's people and places (admins pick the city)."""
    summit = get_summit(slug)
    org_id = request.args.get("org", type=int) or current_user.organisation_id
    if not can_manage_delegation(current_user, org_id):
        abort(403)
    members = db.session.scalars(
        select(Member)
        .where(Member.organisation_id == org_id, Member.active.is_(True))
        .order_by(Member.name)
        .options(selectinload(Member.organisation))
    ).all()
    if not members:
        abort(404)
    registrations = {
        r.member_id: r
        for r in db.session.scalars(
            select(Registration).where(
                Registration.summit_id == summit.id,
                Registration.organisation_id == org_id,
                Registration.status.in_(LIVE),
            )
        )
    }
    return render_template(
        "summit/delegation.html",
        summit=summit,
        organisation=members[0].organisation,
        members=members,
        registrations=registrations,
        used=delegation_count(summit.id, org_id),
        positions={r.id: n for n, r in enumerate(waiting_in_order(summit.id), start=1)},
        confirm=ConfirmForm(),
    )


@bp.get("/<slug>/my-agenda")
@login_required
def my_agenda(slug: str):
    summit = get_summit(slug)
    entries = personal_agenda(current_user, summit)
    viewer_zone = member_zone_name(current_user)
    return render_template(
        "summit/my_agenda.html",
        summit=summit,
        registration=live_registration(summit.id, current_user.id),
        days=by_day(entries, summit.zone),
        viewer_zone=viewer_zone,
    )


@bp.post("/<slug>/agenda/<int:item_id>/pick")
@login_required
def pick(slug: str, item_id: int):
    return _set_pick(slug, item_id, picked=True)


@bp.post("/<slug>/agenda/<int:item_id>/unpick")
@login_required
def unpick(slug: str, item_id: int):
    return _set_pick(slug, item_id, picked=False)


def _set_pick(slug: str, item_id: int, picked: bool):
    """Each button says what it wants, so a double submit repeats it instead of undoing it."""
    summit = get_summit(slug)
    item = db.get_or_404(AgendaItem, item_id)
    if item.summit_id != summit.id or item.kind == AgendaKind.PLENARY:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if (refused := _refuse_if_past(summit)) is not None:
        return refused
    if picked and request.form.get("confirm_clash") != "yes":
        found = clashes(item, current_user)
        if found:
            return render_template(
                "summit/confirm_pick.html", summit=summit, item=item, clashes=found
            )
    if picked:
        pick_item(item, current_user)
    else:
        unpick_item(item, current_user)
    db.session.commit()
    flash(f"{item.title} is {'on' if picked else 'off'} your agenda.", "success")
    return redirect(url_for("summit.show", slug=summit.slug) + f"#item-{item.id}")


def _session(summit: Summit, session_id: int) -> SocialSession:
    session = db.get_or_404(SocialSession, session_id)
    if session.summit_id != summit.id:
        abort(404)
    return session


@bp.post("/<slug>/sessions/<int:session_id>/join")
@login_required
def join(slug: str, session_id: int):
    summit = get_summit(slug)
    session = _session(summit, session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if (refused := _refuse_if_past(summit)) is not None:
        return refused
    try:
        signup = join_session(session, current_user)
        db.session.commit()
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        if signup.status.value == "signed_up":
            flash(f"You have a place at {session.title}.", "success")
        else:
            flash(f"{session.title} is full: you are on its waitlist.", "warning")
    return redirect(url_for("summit.show", slug=summit.slug) + f"#session-{session.id}")


def _my_signup(session: SocialSession) -> SessionSignup | None:
    return db.session.scalar(
        select(SessionSignup).where(
            SessionSignup.session_id == session.id, SessionSignup.member_id == current_user.id
        )
    )


@bp.get("/<slug>/sessions/<int:session_id>/leave")
@login_required
def confirm_leave(slug: str, session_id: int):
    """The step before leaving a session others are waiting for (or that is full)."""
    summit = get_summit(slug)
    session = _session(summit, session_id)
    if (refused := _refuse_if_past(summit)) is not None:
        return refused
    signup = _my_signup(session)
    if signup is None:
        flash(f"You were not on the list for {session.title}.", "info")
        return redirect(url_for("summit.show", slug=summit.slug) + f"#session-{session.id}")
    counts = signup_counts([session.id]).get(session.id, {})
    return render_template(
        "summit/confirm_loss.html",
        summit=summit,
        what="leave",
        session=session,
        signup=signup,
        yours=True,
        wanted=session_place_is_wanted(signup),
        waiting=counts.get("waitlisted", 0),
        action=url_for("summit.leave", slug=summit.slug, session_id=session.id),
        back=url_for("summit.show", slug=summit.slug) + f"#session-{session.id}",
    )


@bp.post("/<slug>/sessions/<int:session_id>/leave")
@login_required
def leave(slug: str, session_id: int):
    summit = get_summit(slug)
    session = _session(summit, session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if (refused := _refuse_if_past(summit)) is not None:
        return refused
    signup = _my_signup(session)
    if signup is not None and not _confirmed_loss() and session_place_is_wanted(signup):
        return redirect(
            url_for("summit.confirm_leave", slug=summit.slug, session_id=session.id), 303
        )
    if signup is None:
        flash(f"You were not on the list for {session.title}.", "info")
    else:
        leave_session(signup)
        db.session.commit()
        flash(f"You left {session.title}.", "success")
    return redirect(url_for("summit.show", slug=summit.slug) + f"#session-{session.id}")


from convene.summit import admin  # noqa: E402, F401  (admin views on this blueprint)
