from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member, Role
from convene.accounts.permissions import role_required
from convene.convenings.models import Call
from convene.extensions import db
from convene.forms import Form
from convene.redirects import safe_next as _safe_next
from convene.text import plural
from convene.topics.errors import TopicError
from convene.topics.forms import (
    ChooseTopicForm,
    DeclineForm,
    MergeForm,
    SettingsForm,
    TopicForm,
    VoteForm,
)
from convene.topics.models import Topic, TopicStatus
from convene.topics.permissions import (
    can_choose_topic,
    can_decline_topic,
    can_edit_topic,
    can_merge_topics,
    can_vote,
)
from convene.topics.proposals import (
    decline_topic,
    edit_topic,
    merge_topics,
    propose_topic,
    similar_topics,
)
from convene.topics.ranking import ranked_topics, support_for, supporting_organisations
from convene.topics.scheduling import (
    call_page_url,
    schedule_topic,
    topic_for_call,
    unschedule_topic,
)
from convene.topics.voting import (
    open_votes_used,
    set_vote_budget,
    support_topic,
    supported_topic_ids,
    vote_budget,
    withdraw_support,
)
from convene.zones import format_instant

bp = Blueprint("topics", __name__)

STATUS_FILTERS = {
    "open": (TopicStatus.OPEN,),
    "scheduled": (TopicStatus.SCHEDULED,),
    "held": (TopicStatus.HELD,),
    "declined": (TopicStatus.DECLINED,),
    "merged": (TopicStatus.MERGED,),
    "all": None,
}


@bp.app_template_global()
def topic_of_call(call: Call) -> Topic | None:
    """For the call page: the topic chosen for this call, if any."""
    return topic_for_call(call.id)


bp.add_app_template_global(can_choose_topic, "can_choose_topic")


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


def _get_topic(topic_id: int) -> Topic:
    return db.first_or_404(
        select(Topic)
        .where(Topic.id == topic_id)
        .options(selectinload(Topic.proposer).selectinload(Member.organisation))
    )


@bp.get("/topics")
@login_required
def index():
    status = request.args.get("status", "open")
    if status not in STATUS_FILTERS:
        status = "open"
    words = (request.args.get("q") or "").strip()[:100]
    ranked = ranked_topics(STATUS_FILTERS[status], words)
    return render_template(
        "topics/index.html",
        ranked=ranked,
        status=status,
        statuses=list(STATUS_FILTERS),
        q=words,
        top=max((r.support.organisations for r in ranked), default=0),
        supported=supported_topic_ids(current_user.id),
        budget=vote_budget(),
        used=open_votes_used(current_user.id),
    )


@bp.route("/topics/new", methods=["GET", "POST"])
@login_required
def propose():
    form = TopicForm()
    similar = []
    if form.validate_on_submit():
        similar = similar_topics(form.title.data)
        if not similar or form.propose_anyway.data:
            try:
                topic = propose_topic(
                    current_user,
                    form.title.data,
                    form.description.data,
                    form.will_share_experience.data,
                )
                db.session.commit()
            except TopicError as exc:
                db.session.rollback()
                form.title.errors.append(str(exc))
            else:
                flash("Your topic is proposed. Tell your colleagues to support it.", "success")
                return redirect(url_for("topics.topic", topic_id=topic.id))
    return render_template("topics/form.html", form=form, similar=similar, topic=None)


@bp.get("/topics/similar")
@login_required
def similar():
    """Existing topics close to a title being typed (for the suggestions under the field)."""
    title = (request.args.get("title") or "")[:200]
    exclude = request.args.get("exclude", type=int)
    return jsonify(
        matches=[
            {
                "id": match.id,
                "title": match.title,
                "status": status.value,
                "score": match.score,
                "url": url_for("topics.topic", topic_id=match.id),
            }
            for match, status in similar_topics(title, exclude_id=exclude)
        ]
    )


@bp.get("/topics/<int:topic_id>")
@login_required
def topic(topic_id: int):
    topic = _get_topic(topic_id)
    merge_form = None
    if can_merge_topics(current_user) and topic.status == TopicStatus.OPEN:
        merge_form = MergeForm()
        merge_form.into.choices = _merge_choices(topic)
    return render_template(
        "topics/topic.html",
        topic=topic,
        support=support_for([topic.id])[topic.id],
        organisations=supporting_organisations(topic.id),
        supported=topic.id in supported_topic_ids(current_user.id, [topic.id]),
        budget=vote_budget(),
        used=open_votes_used(current_user.id),
        call_url=call_page_url(topic.call) if topic.call is not None else None,
        can_edit=can_edit_topic(current_user, topic),
        can_vote=can_vote(current_user, topic),
        decline_form=DeclineForm() if can_decline_topic(current_user, topic) else None,
        merge_form=merge_form,
    )


def _merge_choices(topic: Topic) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Topic.id, Topic.title)
        .where(
            Topic.id != topic.id,
            Topic.status.in_((TopicStatus.OPEN, TopicStatus.SCHEDULED)),
        )
        .order_by(Topic.title)
    ).all()
    return [(row.id, row.title) for row in rows]


@bp.route("/topics/<int:topic_id>/edit", methods=["GET", "POST"])
@login_required
def edit(topic_id: int):
    topic = _get_topic(topic_id)
    if not can_edit_topic(current_user, topic):
        abort(403)
    form = TopicForm(obj=topic)
    form.submit.label.text = "Save topic"
    if form.validate_on_submit():
        try:
            edit_topic(
                topic, form.title.data, form.description.data, form.will_share_experience.data
            )
            db.session.commit()
        except TopicError as exc:
            db.session.rollback()
            form.title.errors.append(str(exc))
        else:
            flash("The topic is saved.", "success")
            return redirect(url_for("topics.topic", topic_id=topic.id))
    return render_template("topics/form.html", form=form, similar=[], topic=topic)


def _vote_messages(title: str, supported: bool, changed: bool) -> str:
    if supported:
        return f"You support “{title}”." if changed else f"You already support “{title}”."
    return f"You no longer support “{title}”." if changed else f"You were not supporting “{title}”."


@bp.post("/topics/<int:topic_id>/vote")
@login_required
def vote(topic_id: int):
    """Support (support=yes) or withdraw (support=no): the request names the state it wants."""
    topic = db.get_or_404(Topic, topic_id)
    title = topic.title
    form = VoteForm()
    code = 200
    supported = None
    if not form.validate_on_submit():
        message, category, code = "Choose to support or to withdraw support.", "error", 400
    else:
        wanted = form.support.data == "yes"
        action = support_topic if wanted else withdraw_support
        try:
            outcome = action(current_user, topic_id)
            db.session.commit()
        except TopicError as exc:
            db.session.rollback()
            message, category, code = str(exc), "error", 409
        else:
            supported = outcome.supported
            message, category = _vote_messages(title, outcome.supported, outcome.changed), "success"
    if supported is None:
        supported = topic_id in supported_topic_ids(current_user.id, [topic_id])
    if _wants_json():
        return jsonify(
            ok=code == 200,
            message=message,
            topic_id=topic_id,
            supported=supported,
            support=support_for([topic_id])[topic_id].as_dict(),
            used=open_votes_used(current_user.id),
            budget=vote_budget(),
        ), code
    flash(message, category)
    return redirect(_safe_next(form.next.data, url_for("topics.topic", topic_id=topic_id)))


@bp.post("/topics/<int:topic_id>/decline")
@login_required
def decline(topic_id: int):
    topic = _get_topic(topic_id)
    if not can_decline_topic(current_user, topic):
        abort(403)
    form = DeclineForm()
    if not form.validate_on_submit():
        flash("Give a reason (up to 300 characters) to decline the topic.", "error")
    else:
        try:
            decline_topic(topic, form.reason.data)
            db.session.commit()
        except TopicError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash("The topic is declined; its votes are back in members' budgets.", "success")
    return redirect(url_for("topics.topic", topic_id=topic_id))


@bp.post("/topics/<int:topic_id>/merge")
@role_required(Role.ADMIN)
def merge(topic_id: int):
    duplicate = _get_topic(topic_id)
    form = MergeForm()
    form.into.choices = _merge_choices(duplicate)
    if not form.validate_on_submit():
        flash("Choose an open or scheduled topic to merge this one into.", "error")
        return redirect(url_for("topics.topic", topic_id=topic_id))
    survivor = db.get_or_404(Topic, form.into.data)
    try:
        moved = merge_topics(duplicate, survivor)
        db.session.commit()
    except TopicError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("topics.topic", topic_id=topic_id))
    flash(f"Merged: {plural(moved, 'vote', 'votes')} moved to this topic.", "success")
    return redirect(url_for("topics.topic", topic_id=survivor.id))


@bp.route("/topics/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def settings():
    form = SettingsForm(vote_budget=vote_budget())
    if form.validate_on_submit():
        try:
            set_vote_budget(form.vote_budget.data)
            db.session.commit()
        except TopicError as exc:
            db.session.rollback()
            form.vote_budget.errors.append(str(exc))
        else:
            budget = plural(form.vote_budget.data, "open vote", "open votes")
            flash(f"Each member now has {budget}.", "success")
            return redirect(url_for("topics.settings"))
    return render_template("topics/settings.html", form=form)


# --- the host's choice ---------------------------------------------------------------------


@bp.route("/calls/<int:call_id>/topic", methods=["GET", "POST"])
@login_required
def choose_for_call(call_id: int):
    call = db.get_or_404(Call, call_id)
    if not can_choose_topic(current_user, call):
        abort(403)
    form = ChooseTopicForm()
    if form.validate_on_submit():
        topic = db.session.get(Topic, form.topic_id.data)
        try:
            if topic is None:
                raise TopicError("That topic does not exist.")
            schedule_topic(topic, call)
            db.session.commit()
        except TopicError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(
                f"“{topic.title}” is the topic of the call on "
                f"{format_instant(call.starts_at, style='date')}. "
                "Its proposer and supporters are told by email.",
                "success",
            )
            return redirect(url_for("topics.choose_for_call", call_id=call.id))
    elif request.method == "POST":
        flash("Choose one of the topics.", "error")
    return render_template(
        "topics/choose.html",
        call=call,
        current=topic_for_call(call.id),
        ranked=ranked_topics((TopicStatus.OPEN,)),
        call_url=call_page_url(call),
        confirm=Form(),
    )


@bp.post("/calls/<int:call_id>/topic/unschedule")
@login_required
def unschedule(call_id: int):
    call = db.get_or_404(Call, call_id)
    if not can_choose_topic(current_user, call):
        abort(403)
    if not Form().validate_on_submit():
        abort(400)
    try:
        topic = unschedule_topic(call)
        db.session.commit()
    except TopicError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"“{topic.title}” is open again, with its votes.", "success")
    return redirect(url_for("topics.choose_for_call", call_id=call.id))
