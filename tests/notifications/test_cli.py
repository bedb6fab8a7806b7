from sqlalchemy import select

from convene.extensions import db
from convene.notifications.models import OutboxMessage, OutboxStatus
from convene.notifications.outbox import queue_email


def _queue(n: int) -> None:
    for i in range(n):
        queue_email(
            f"p{i}@example.org",
            "Hello",
            "accounts/password_reset_no_account",
            email=f"p{i}@example.org",
            forgot_link="x",
        )
    db.session.commit()


def test_mail_send_delivers_everything_due(app, smtp):
    _queue(60)  # more than one batch
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "60 sent, 0 failed" in result.output
    assert len(smtp.wait_for(60)) == 60
    db.session.expire_all()
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert set(statuses) == {OutboxStatus.SENT}


def test_mail_send_reports_failure_and_leaves_mail_pending(app, smtp):
    smtp.stop()
    _queue(2)
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "0 sent, 2 failed" in result.output
    db.session.expire_all()
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.PENDING] * 2


def test_mail_send_with_nothing_to_send(app, smtp):
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "0 sent, 0 failed" in result.output
