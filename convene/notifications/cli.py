import click
from flask.cli import AppGroup

from convene.notifications.outbox import deliver_pending, watch

mail_cli = AppGroup("mail", help="Deliver the outbox.")


@mail_cli.command("send")
@click.option("--watch", "keep_watching", is_flag=True, help="Keep sending as mail arrives.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
def send_command(keep_watching: bool, interval: float) -> None:
    """Send every pending message that is due."""
    if keep_watching:
        watch(interval)
        return
    total_sent = total_failed = 0
    while True:
        sent, failed = deliver_pending()
        total_sent += sent
        total_failed += failed
        if sent + failed == 0 or sent == 0:
            break
    click.echo(f"{total_sent} sent, {total_failed} failed (left pending for retry)")
