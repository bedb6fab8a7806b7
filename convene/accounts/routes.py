import hashlib

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from convene.accounts.champions import (
    can_hand_over,
    could_take_over,
    current_champion,
    hand_over_champion,
    handover_problem,
    handovers,
)
from convene.accounts.credentials import (
    ask_email_change,
    change_password,
    confirm_email_change,
    email_change_hours,
    find_email_change,
)
from convene.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    InviteForm,
    MemberForm,
    NewPasswordForm,
    OrganisationForm,
    ProfileForm,
    SignInForm,
)
from convene.accounts.invitations import (
    AccountError,
    accept_invitation,
    find_token,
    invite_member,
    request_password_reset,
    reset_password,
    send_invitation,
)
from convene.accounts.members import set_member_active, update_member
from convene.accounts.models import (
    Member,
    Organisation,
    OrganisationKind,
    Role,
    TokenPurpose,
    normalise_email,
)
from convene.accounts.passwords import verify_password
from convene.accounts.permissions import can_manage_member, can_manage_organisation, role_required
from convene.accounts.sessions import sign_out_everywhere, start_session
from convene.extensions import db, limiter
from convene.history.wording import describe
from convene.redirects import safe_next
from convene.zones import viewer_zone_name, zone_label

bp = Blueprint("accounts", __name__)
# A zone as people read it ("Eastern — New York"), on every page: {{ zone|zone_label }}.
bp.add_app_template_filter(zone_label, "zone_label")


def _address_key() -> str:
    return f"address:{request.remote_addr}"


def _email_key() -> str:
    """The email as typed, normalised and hashed: a short key that holds no address."""
    email = normalise_email(request.form.get("email") or "")
    return "email:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()[:32]


def _sign_in_limit(setting: str, key_func, wait: str):
    """Failed sign-ins (only those: a sign-in that redirects succeeded) counted per key."""
    return limiter.limit(
        lambda: current_app.config[setting],
        key_func=key_func,
        methods=["POST"],
        deduct_when=lambda response: response.status_code == 200,
        error_message=f"Too many failed sign-ins. Wait {wait}, then try again.",
    )


@bp.route("/sign-in", methods=["GET", "POST"])
@_sign_in_limit("SIGN_IN_RATE_LIMIT", lambda: f"{_address_key()}:{_email_key()}", "a minute")
@_sign_in_limit("SIGN_IN_ADDRESS_RATE_LIMIT", _address_key, "a few minutes")
@_sign_in_limit("SIGN_IN_EMAIL_RATE_LIMIT", _email_key, "a few minutes")
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = SignInForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        member = db.session.scalar(select(Member).where(Member.email == email))
        if verify_password(member, form.password.data) and member.active:
            start_session(member, remember=form.remember.data)
            db.session.commit()
            return redirect(safe_next(request.args.get("next"), url_for("site.home")))
        # One message for every failure: it must not tell whether the email is registered.
        flash("That email and password do not match an active account.", "error")
    return render_template("accounts/sign_in.html", form=form)


@bp.post("/sign-out")
@login_required
def sign_out():
    """Sign out here; since the session cookie cannot be taken back, every session ends."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    sign_out_everywhere(current_user._get_current_object())
    db.session.commit()
    flash("You are signed out, here and on any other device.", "info")
    return redirect(url_for("site.home"))


@bp.post("/sign-out/everywhere")
@login_required
def sign_out_on_every_device():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    sign_out_everywhere(current_user._get_current_object())
    db.session.commit()
    flash("You are signed out on every device. Sign in again here.", "info")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/invitation/<token>", methods=["GET", "POST"], endpoint="accept_invitation")
def accept_invitation_view(token: str):
    return _password_from_link(token, TokenPurpose.INVITATION, accept_invitation)


@bp.route("/password/reset/<token>", methods=["GET", "POST"], endpoint="reset_password")
def reset_password_view(token: str):
    return _password_from_link(token, TokenPurpose.PASSWORD_RESET, reset_password)


def _password_from_link(token: str, purpose: TokenPurpose, action):
    response = make_response(_password_page(token, purpose, action))
    response.headers["Cache-Control"] = "no-store"  # the address holds a secret
    return response


def _password_page(token: str, purpose: TokenPurpose, action):
    found = find_token(token, purpose)
    if found is None:
        return render_template("accounts/link_expired.html", purpose=purpose), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            member = action(found, form.password.data)
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template("accounts/link_expired.html", purpose=purpose), 409
        start_session(member)  # in a session of its own: setting the password ended the rest
        db.session.commit()
        flash(f"Welcome, {member.name}. Your password is set.", "success")
        return redirect(url_for("site.home"))
    return render_template(
        "accounts/set_password.html", form=form, member=found.member, purpose=purpose
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        db.session.commit()
        flash(
            "If that address has an account, a link to reset the password is on its way.",
            "info",
        )
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user, organisation_zone=current_user.organisation.zone)
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.title = form.title.data or None
        current_user.zone = form.zone.data or None
        video_email = (form.video_email.data or "").strip().lower()
        current_user.video_email = None if video_email == current_user.email else video_email
        db.session.commit()
        flash("Your details are saved.", "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


# --- the member's own password and email address -------------------------------------------


def _member_key() -> str:
    return f"member:{getattr(current_user, 'id', None)}"


def _current_password_limit(setting: str, key_func, wait: str):
    """Wrong current passwords (only those) counted per key, like failed sign-ins, and
    shared by every form that asks for the current password."""
    return limiter.shared_limit(
        lambda: current_app.config[setting],
        scope="current-password",
        key_func=key_func,
        methods=["POST"],
        deduct_when=lambda response: g.get("wrong_current_password", False),
        error_message=f"Too many wrong passwords. Wait {wait}, then try again.",
    )


def _wrong_current_password(form, exc: AccountError) -> None:
    db.session.rollback()
    field = form.current_password if exc.field == "current_password" else form.email
    field.errors.append(str(exc))
    g.wrong_current_password = exc.field == "current_password"


def _remembered() -> bool:
    """Whether this browser keeps a remember-me cookie, to keep it when signing in again."""
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


def _member_address_key() -> str:
    return f"{_member_key()}:{_address_key()}"


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@_current_password_limit("SIGN_IN_RATE_LIMIT", _member_address_key, "a minute")
@_current_password_limit("SIGN_IN_EMAIL_RATE_LIMIT", _member_key, "a few minutes")
def change_password_page():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        member = current_user._get_current_object()
        try:
            change_password(member, form.current_password.data, form.password.data)
        except AccountError as exc:
            _wrong_current_password(form, exc)
        else:
            start_session(member, remember=_remembered())  # a new token: signed in here again
            db.session.commit()
            flash(
                "Your password is changed. You are still signed in here; every other device "
                "will ask for the new password.",
                "success",
            )
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@_current_password_limit("SIGN_IN_RATE_LIMIT", _member_address_key, "a minute")
@_current_password_limit("SIGN_IN_EMAIL_RATE_LIMIT", _member_key, "a few minutes")
def change_email_page():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        member = current_user._get_current_object()
        try:
            new_email = ask_email_change(member, form.current_password.data, form.email.data)
        except AccountError as exc:
            _wrong_current_password(form, exc)
        else:
            db.session.commit()
            flash(
                f"A link is on its way to {new_email}. Your address changes when you open it "
                f"(within {email_change_hours()} hours); until then it stays {member.email}.",
                "success",
            )
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_email.html", form=form)


# A path converter: a long address makes a token longer than the 200 characters a plain
# path part may have. Anything that is not a token is the same 404 page.
@bp.route("/account/email/confirm/<path:token>", methods=["GET", "POST"], endpoint="confirm_email")
def confirm_email(token: str):
    response = make_response(_confirm_email_page(token))
    response.headers["Cache-Control"] = "no-store"  # the address holds a secret
    return response


def _confirm_email_page(token: str):
    change = find_email_change(token)
    if change is None:
        return render_template("accounts/link_expired.html", purpose="email_change"), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        member = change.member
        try:
            confirm_email_change(change)
            db.session.commit()
        except (AccountError, IntegrityError):
            db.session.rollback()
            form.form_errors.append(
                f"Another account now uses {change.new_email}, so your address stays as it "
                "was. Ask for a link to another address from your account page."
            )
        else:
            flash(f"Your email address is now {member.email}.", "success")
            if current_user.is_authenticated and current_user.id == member.id:
                return redirect(url_for("accounts.profile"))
            if current_user.is_authenticated:
                return redirect(url_for("site.home"))
            return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/confirm_email.html", form=form, change=change)


# --- organisations and their people -------------------------------------------------------


@bp.get("/admin/organisations")
@role_required(Role.ADMIN)
def organisations():
    rows = db.session.execute(
        select(Organisation, func.count(Member.id))
        .outerjoin(Member, (Member.organisation_id == Organisation.id) & Member.active)
        .group_by(Organisation.id)
        .order_by(Organisation.kind, Organisation.name)
    ).all()
    return render_template("accounts/organisations.html", rows=rows)


@bp.route("/admin/organisations/new", methods=["GET", "POST"])
@bp.route("/admin/organisations/<slug>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_organisation(slug: str | None = None):
    organisation = None
    if slug is not None:
        organisation = db.first_or_404(select(Organisation).where(Organisation.slug == slug))
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        kind = OrganisationKind(form.kind.data)
        misfits = _members_not_fitting(organisation, kind) if organisation else []
        if misfits:
            form.kind.errors.append(
                f"Change the role of {', '.join(m.name for m in misfits)} first: "
                f"a {kind.value} cannot have {misfits[0].role.value}s."
            )
            return render_template(
                "accounts/organisation_form.html", form=form, organisation=organisation
            )
        if organisation is None:
            organisation = Organisation()
            db.session.add(organisation)
        organisation.kind = kind
        organisation.name = form.name.data.strip()
        organisation.slug = form.slug.data
        organisation.zone = form.zone.data
        organisation.website = form.website.data or None
        is_city = kind == OrganisationKind.CITY
        organisation.state = (form.state.data or None) if is_city else None
        organisation.population = form.population.data if is_city else None
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.name.errors.append("Another organisation already has this name or short name.")
        else:
            flash(f"{organisation.name} is saved.", "success")
            return redirect(url_for("accounts.people", slug=organisation.slug))
    return render_template("accounts/organisation_form.html", form=form, organisation=organisation)


def _members_not_fitting(organisation: Organisation, kind: OrganisationKind) -> list[Member]:
    """Members whose role the organisation could not hold once it is of `kind`."""
    fits = {
        OrganisationKind.CITY: {Role.MEMBER, Role.CHAMPION},
        OrganisationKind.PARTNER: {Role.MEMBER, Role.HOST},
        OrganisationKind.PROGRAMME: {Role.MEMBER, Role.ADMIN},
    }[kind]
    return [m for m in organisation.members if m.active and m.role not in fits]


@bp.get("/organisations/<slug>/people")
@login_required
def people(slug: str):
    organisation = db.first_or_404(select(Organisation).where(Organisation.slug == slug))
    if not can_manage_organisation(current_user, organisation):
        abort(403)
    members = db.session.scalars(
        select(Member)
        .where(Member.organisation_id == organisation.id)
        .order_by(Member.active.desc(), Member.name)
    ).all()
    return render_template(
        "accounts/people.html",
        organisation=organisation,
        members=members,
        confirm=ConfirmForm(),
        can_manage_member=can_manage_member,
        can_hand_over=can_hand_over(current_user, organisation),
        could_take_over=could_take_over,
        handovers=_handover_lines(organisation) if current_user.is_admin else [],
    )


def _handover_lines(organisation: Organisation) -> list[str]:
    zone = viewer_zone_name()
    return [describe(action, zone) for action in handovers(organisation)]


@bp.route("/organisations/<slug>/champion/<int:member_id>", methods=["GET", "POST"])
@login_required
def hand_over(slug: str, member_id: int):
    """Hand the city's champion role to one of its members: the page names both people,
    and its button does it."""
    organisation = db.first_or_404(select(Organisation).where(Organisation.slug == slug))
    if not can_hand_over(current_user, organisation):
        abort(403)
    member = db.get_or_404(Member, member_id)
    if member.organisation_id != organisation.id:
        abort(404)
    actor = current_user._get_current_object()
    previous = current_champion(organisation)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            previous = hand_over_champion(actor, organisation, member)
            stepping_down = previous is not None and previous.id == actor.id
            if stepping_down:
                start_session(actor, remember=_remembered())  # stays signed in here
            db.session.commit()
        except AccountError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        except IntegrityError:
            db.session.rollback()
            form.form_errors.append(
                "Someone changed the city's champion just now. Check the list of people "
                "and try again."
            )
        else:
            if stepping_down:
                flash(
                    f"{member.name} is now the champion of {organisation.name}, and you are "
                    "a member. You are still signed in here; your other devices will ask you "
                    "to sign in again.",
                    "success",
                )
                return redirect(url_for("site.home"))
            was = f" {previous.name} is now a member." if previous is not None else ""
            flash(f"{member.name} is now the champion of {organisation.name}.{was}", "success")
            return redirect(url_for("accounts.people", slug=organisation.slug))
    return render_template(
        "accounts/hand_over.html",
        form=form,
        organisation=organisation,
        member=member,
        previous=previous,
        problem=handover_problem(organisation, member),
    )


@bp.route("/organisations/<slug>/invite", methods=["GET", "POST"])
@login_required
def invite(slug: str):
    organisation = db.first_or_404(select(Organisation).where(Organisation.slug == slug))
    if not can_manage_organisation(current_user, organisation):
        abort(403)
    form = InviteForm()
    if not current_user.is_admin:
        form.role.choices = [(Role.MEMBER.value, "Member")]
    if form.validate_on_submit():
        try:
            invite_member(
                current_user,
                organisation,
                form.email.data,
                form.name.data,
                role=Role(form.role.data),
                title=form.title.data or None,
            )
            db.session.commit()
        except AccountError as exc:
            db.session.rollback()
            field = form.role if exc.field == "role" and current_user.is_admin else form.email
            field.errors.append(str(exc))
        except IntegrityError:
            db.session.rollback()
            form.form_errors.append(
                "Someone saved a conflicting change just now (an account with this email, "
                "or a second champion). Check the list of people and try again."
            )
        else:
            # The same answer when the address already has an account (its owner is told).
            email = normalise_email(form.email.data)
            flash(f"An invitation is on its way to {email}.", "success")
            return redirect(url_for("accounts.people", slug=organisation.slug))
    return render_template("accounts/invite.html", form=form, organisation=organisation)


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_member(member_id: int):
    member = db.get_or_404(Member, member_id)
    form = MemberForm(obj=member)
    form.organisation_id.choices = [
        (o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.name))
    ]
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation_id.data)
        role = Role(form.role.data)
        try:
            changed = update_member(
                current_user,
                member,
                name=form.name.data,
                title=form.title.data,
                role=role,
                organisation=organisation,
            )
            if changed and member.id == current_user.id:
                start_session(member)  # the admin who moved themselves stays signed in here
            db.session.commit()
        except (AccountError, IntegrityError) as exc:
            db.session.rollback()
            form.role.errors.append(
                str(exc) if isinstance(exc, AccountError) else "That city has a champion."
            )
        else:
            flash(f"{member.name} is saved.", "success")
            return redirect(url_for("accounts.people", slug=organisation.slug))
    return render_template(
        "accounts/member_form.html",
        form=form,
        member=member,
        can_take_over=could_take_over(member, member.organisation),
    )


@bp.post("/members/<int:member_id>/<any(deactivate, reactivate):action>")
@login_required
def set_active(member_id: int, action: str):
    member = db.get_or_404(Member, member_id)
    if not can_manage_member(current_user, member) or member.id == current_user.id:
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    set_member_active(member, action == "reactivate")
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(f"{member.organisation.name} already has an active champion.", "error")
    else:
        verb = "can sign in again" if member.active else "can no longer sign in"
        flash(f"{member.name} {verb}.", "success")
    return redirect(url_for("accounts.people", slug=member.organisation.slug))


@bp.post("/members/<int:member_id>/invite-again")
@login_required
def invite_again(member_id: int):
    member = db.get_or_404(Member, member_id)
    if not can_manage_member(current_user, member):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        send_invitation(current_user, member)
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"A new invitation is on its way to {member.email}.", "success")
    return redirect(url_for("accounts.people", slug=member.organisation.slug))


@bp.get("/admin/members")
@role_required(Role.ADMIN)
def members():
    query = (request.args.get("q") or "").strip().lower()
    stmt = (
        select(Member)
        .options(selectinload(Member.organisation))
        .join(Organisation)
        .order_by(Organisation.name, Member.name)
    )
    if query:
        like = f"%{query}%"
        stmt = stmt.where(
            Member.email.like(like)
            | func.lower(Member.name).like(like)
            | func.lower(Organisation.name).like(like)
        )
    role = request.args.get("role")
    if role in {r.value for r in Role}:
        stmt = stmt.where(Member.role == Role(role))
    return render_template(
        "accounts/members.html", members=db.session.scalars(stmt).all(), q=query, role=role
    )
