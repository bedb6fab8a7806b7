"""`flask summit ...`: seat an assigned session from the command line and print its report."""

import click
from flask.cli import AppGroup

from convene.extensions import db
from convene.summit import seating
from convene.summit.models import SocialSession

summit_cli = AppGroup("summit", help="Summit seating.")


def _print_report(report) -> None:
    click.echo(
        f"seated {report.seated} of {report.seats} seats; empty {report.empty_seats} "
        f"(at least {report.empty_seats_lower_bound})"
    )
    click.echo(
        f"colleague pairs {report.same_org_pairs} (at least "
        f"{report.same_org_pairs_lower_bound}); new pairs {report.new_pairs}"
    )
    click.echo(
        f"most meetings of a pair {report.max_pair_meetings}; repeats {report.repeat_meetings}"
    )
    click.echo(
        f"cities met per person: mean {report.distinct_orgs_met_mean:.1f} (at most "
        f"{report.distinct_orgs_met_mean_upper_bound:.1f}), fewest "
        f"{report.distinct_orgs_met_min}"
    )


@summit_cli.command("seat")
@click.argument("session_id", type=int)
@click.option("--seed", default=0, show_default=True)
def seat_command(session_id: int, seed: int) -> None:
    """Plan SESSION_ID's seating as a draft (publish it from its seating page).

    When no seating keeping every must-not pair apart is found in time, the best one is
    still kept as the draft, as the admin page does, and the command says so and exits 1."""
    session = db.session.get(SocialSession, session_id)
    if session is None:
        raise click.ClickException(f"No social session {session_id}.")
    try:
        report = seating.run_assignment(session, seed)
    except seating.SeatingNotFound as exc:
        db.session.commit()  # the best draft found, to try again from or fix by hand
        click.echo(f"Warning: {exc}", err=True)
        _print_report(exc.report)
        for problem in seating.review(session).problems:
            click.echo(f"problem: {problem}")
        raise click.exceptions.Exit(1) from exc
    except seating.SeatingError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    _print_report(report)


@summit_cli.command("report")
@click.argument("session_id", type=int)
def report_command(session_id: int) -> None:
    """Print the report of SESSION_ID's stored seating, and any rule it breaks."""
    session = db.session.get(SocialSession, session_id)
    if session is None or not session.is_assigned:
        raise click.ClickException(f"No assigned social session {session_id}.")
    review = seating.review(session)
    _print_report(review.report)
    for problem in review.problems:
        click.echo(f"problem: {problem}")
