"""Issue 11's "done when", end to end through real email (aiosmtpd): a project's update reaches
exactly its opted-in volunteers; one of them unsubscribes with the link of the email they got
and receives no further updates from that project, while another project's still come; the
archive and the feed show what was sent. (Writing, previewing, test-sending and scheduling
through the pages is ``tests/browser/test_newsletter_journey.py``.)"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from notifications import consent, newsletters
from talk.extensions import db
from talk.models import Project, User
from tests.notifications.test_newsletter_sending import opted_in, run_to_the_end
from tests.talk.web.pages import text


def send(app, team, project, subject):
    """``team`` writes an update to everyone opted in and the worker sends it to the end."""
    with app.app_context():
        letter = newsletters.create(
            db.session.get(User, team.id),
            db.session.get(Project, project.id),
            subject=subject,
            body=f"{subject}: thank you for your transcriptions.",
        )
        newsletters.schedule(db.session.get(User, team.id), letter, "now")
        db.session.commit()
        run_to_the_end()


def mailed(smtp, subject):
    return sorted(str(m["To"]) for m in smtp.received if str(m["Subject"]) == subject)


def test_updates_reach_the_opted_in_and_stop_for_one_project_after_its_unsubscribe_link(
    app, make, smtp
):
    herbarium = make.project("herbarium", title="Wessex herbarium")
    registers = make.project("registers", title="Nursing registers")
    team_h, team_r = make.member(herbarium, "team"), make.member(registers, "team")
    (both,) = opted_in(app, make, herbarium, 1, prefix="both")
    opted_in(app, make, herbarium, 1, prefix="herbonly")
    with app.app_context():  # ``both`` asks for the registers' updates too
        consent.opt_in(
            db.session.get(User, both.id), db.session.get(Project, registers.id), source="api"
        )
        db.session.commit()
    make.user("never")  # a verified volunteer who never asked: never mailed

    send(app, team_h, herbarium, "Herbarium news 1")
    assert mailed(smtp, "Herbarium news 1") == ["both0@example.org", "herbonly0@example.org"]

    (email,) = [m for m in smtp.received if str(m["To"]) == "both0@example.org"]
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<https?://[^/]+(/[^>]+)>", str(email["List-Unsubscribe"]))
    assert link, email["List-Unsubscribe"]
    mail_client = app.test_client()  # no session, no CSRF token
    assert (
        mail_client.post(link.group(1), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    )

    send(app, team_h, herbarium, "Herbarium news 2")
    send(app, team_r, registers, "Registers news 1")
    assert mailed(smtp, "Herbarium news 2") == ["herbonly0@example.org"]
    assert mailed(smtp, "Registers news 1") == ["both0@example.org"]
    assert not [m for m in smtp.received if "never" in str(m["To"])]

    visitor = app.test_client()
    archive = text(visitor.get("/projects/herbarium/updates"))
    assert "Herbarium news 1" in archive and "Herbarium news 2" in archive
    assert "Registers news 1" not in archive
    feed = visitor.get("/projects/herbarium/updates/feed.atom")
    titles = [
        entry.findtext("{http://www.w3.org/2005/Atom}title")
        for entry in ET.fromstring(feed.data).iter("{http://www.w3.org/2005/Atom}entry")
    ]
    assert sorted(titles) == ["Herbarium news 1", "Herbarium news 2"]
