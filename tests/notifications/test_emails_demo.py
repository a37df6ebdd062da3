"""The demo end to end: in ``talk demo`` the worker runs the same jobs in-process (its
``DEMO_SERVICES``); here they run once, as ``talk worker --once`` runs them, and a mention of
a demo volunteer arrives in the local mailbox that the site admin reads at /admin/mailbox."""

from __future__ import annotations

from sqlalchemy import select

from notifications import worker
from talk.demo import DEMO_SERVICES, build_demo
from talk.demo.catalogue import DEMO_PASSWORD
from talk.extensions import db
from talk.models import Discussion, User
from talk.services import discussions
from tests.conftest import login
from tests.talk.web.pages import text


def test_a_mention_in_the_demo_reaches_the_admins_mailbox(app, client, runner, clock):
    assert worker.start_in_process in app.extensions[DEMO_SERVICES]
    app.config["TALK_SMTP_URL"] = None  # the demo's: the local mailbox
    app.config["TALK_OUTBOX_BATCH"] = 500
    app.config["SERVER_NAME"] = None
    build_demo(app)
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0  # what the build left
    with app.app_context():
        kew = db.session.scalar(select(User).where(User.username == "kew_walker"))
        discussion = db.session.scalars(select(Discussion).order_by(Discussion.id)).first()
        discussions.post_comment(kew, discussion, "@fern_finder could you look at this sheet?")
        title = discussion.title
        db.session.commit()
    clock.advance(minutes=1)  # the email job's next period
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    clock.advance(seconds=5)  # the outbox's next drain sends what that run queued
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    login(client, "priya", DEMO_PASSWORD)
    page = text(client.get("/admin/mailbox"))
    assert f"Kew Walker mentioned you in “{title}”" in page
    assert "fern_finder" in page or "Fern Finder" in page
    assert "http://127.0.0.1:5000/comments/" in page  # the demo's address, as talk demo serves
