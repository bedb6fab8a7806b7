"""The admins' view of the outbox (mail that failed, with its reason, and mail waiting), a
member's choices of optional mail, and the one-click unsubscribe links mail carries."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from convene.accounts.models import Member, Role
from convene.accounts.permissions import role_required
from convene.extensions import csrf, db
from convene.notifications.forms import MailChoiceForm, UnsubscribeForm
from convene.notifications.models import MailChoice, MailTopic, OutboxStatus
from convene.notifications.outbox import undelivered
from convene.notifications.preferences import (
    CHOICE_LABELS,
    DIGEST_LIST,
    TOPIC_DESCRIPTIONS,
    TOPIC_LABELS,
    choices_of,
    read_unsubscribe_token,
    set_choice,
    unsubscribe,
)

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


# --- a member's choices -----------------------------------------------------------------------


def _preferences_page(forms: dict[MailTopic, MailChoiceForm], status: int = 200):
    return (
        render_template(
            "notifications/preferences.html",
            forms=list(forms.values()),
            descriptions=TOPIC_DESCRIPTIONS,
            digest_hour=current_app.config["DIGEST_HOUR"],
        ),
        status,
    )


@bp.get("/account/mail")
@login_required
def mail_preferences():
    chosen = choices_of(current_user.id)
    return _preferences_page({t: MailChoiceForm(t, chosen[t], formdata=None) for t in MailTopic})


@bp.post("/account/mail/<topic>")
@login_required
def set_mail_preference(topic: str):
    if topic not in {t.value for t in MailTopic}:
        abort(404)
    topic = MailTopic(topic)
    form = MailChoiceForm(topic)
    if form.validate_on_submit():
        choice = MailChoice(form.choice.data)
        set_choice(current_user.id, topic, choice)
        db.session.commit()
        flash(f"{TOPIC_LABELS[topic]}: {CHOICE_LABELS[choice].lower()}.", "success")
        return redirect(url_for("notifications.mail_preferences"))
    chosen = choices_of(current_user.id)
    forms = {t: MailChoiceForm(t, chosen[t], formdata=None) for t in MailTopic}
    forms[topic] = form
    return _preferences_page(forms, 400)


# --- one-click unsubscribe (RFC 8058) -------------------------------------------------------


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
@csrf.exempt
def unsubscribe_link(token: str):
    """GET asks (link scanners open links); POST, from the page's button or straight from a
    mail client's one-click, turns the mail off: no sign-in, cookie or CSRF token needed."""
    found = read_unsubscribe_token(token)
    member = db.session.get(Member, found[0]) if found else None
    if member is None:
        abort(404)
    mail_list = found[1]
    if request.method == "POST":
        topics = unsubscribe(member.id, mail_list)
        db.session.commit()
        return render_template(
            "notifications/unsubscribed.html",
            labels=[TOPIC_LABELS[t] for t in topics],
            is_digest=mail_list == DIGEST_LIST,
        )
    return render_template(
        "notifications/unsubscribe.html",
        form=UnsubscribeForm(formdata=None),
        label=None if mail_list == DIGEST_LIST else TOPIC_LABELS[MailTopic(mail_list)],
        member=member,
    )
