"""A project's updates (newsletters) in the JSON API: ``/api/v1/projects/{slug}/newsletters``.

Anyone reads the sent ones (the archive); those who compose (the project's owners, admins and
team, and site admins: ``newsletter.compose``) see every state, write, test, schedule, cancel
and read the deliveries. A draft, a scheduled or a cancelled update answers 404 to everyone
else, exactly like an id that does not exist, so drafts cannot be counted by trying ids.

The views parse and answer; the rules are :mod:`notifications.newsletters` (writing, states),
:mod:`notifications.newsletter_mail` (the test send) and :mod:`notifications.newsletter_segments`
(the recipient estimate), the same the pages and the CLI call.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from notifications import newsletter_mail, newsletter_segments, newsletter_sending, newsletters
from notifications.models import OutboxMessage
from notifications.newsletter_models import Newsletter, NewsletterDelivery
from notifications.newsletter_schemas import (
    DeliveryView,
    NewsletterCreateSchema,
    NewsletterDeliveryPageSchema,
    NewsletterEditSchema,
    NewsletterPageSchema,
    NewsletterSchema,
    NewsletterView,
    ScheduleSchema,
    SentTestSchema,
)
from talk import policy
from talk.api import auth, base, schemas
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Project
from talk.pagination import Page, keyset_page
from talk.services import projects

blp = base.api_blueprint(
    "api_newsletters", "A project's updates (newsletters): the archive, and the team's tools."
)

#: States before sending starts: the recipient count is an estimate from the segment now.
UNSENT = ("draft", "scheduled", "cancelled")


def _view(newsletter: Newsletter, *, detail: bool = True) -> NewsletterView:
    """The newsletter as the caller sees it; in detail, the team also gets the recipient
    count (estimated until sending starts) and the delivery counts."""
    team = policy.may(auth.viewer(), "newsletter.compose", newsletter.project)
    view = NewsletterView(newsletter, team)
    if team and newsletter.state not in UNSENT:
        view.recipient_count = newsletter.recipient_count
    if team and detail:
        if newsletter.state in UNSENT:
            view.recipient_count = newsletter_segments.count(
                newsletter.project, newsletter.segment, utcnow()
            )
        view.deliveries = newsletter_sending.progress(newsletter)
    return view


def _newsletter(slug: str, newsletter_id: int) -> Newsletter:
    """The project's newsletter if the caller may read it; 404 otherwise."""
    return newsletters.get(auth.viewer(), projects.get_project(slug), newsletter_id)


def newsletters_page(
    viewer: Any, project: Project, *, cursor: str | None, limit: int
) -> Page[Newsletter]:
    """The project's newsletters ``viewer`` may see, newest first, in cursor pages (the paged
    form of :func:`notifications.newsletters.listing`: the team all, others the sent)."""
    query = newsletters.visible(viewer, project)
    return keyset_page(query, [Newsletter.id], cursor=cursor, limit=limit, descending=True)


def deliveries_page(
    actor: Any, newsletter: Newsletter, *, cursor: str | None, limit: int
) -> Page[DeliveryView]:
    """The newsletter's deliveries in the order they were fixed, each with its recipient and
    when its email went out (the team only)."""
    policy.require(actor, "newsletter.compose", newsletter.project)
    query = (
        select(NewsletterDelivery)
        .where(NewsletterDelivery.newsletter_id == newsletter.id)
        .options(selectinload(NewsletterDelivery.user))
    )
    page = keyset_page(query, [NewsletterDelivery.id], cursor=cursor, limit=limit)
    outbox_ids = [d.outbox_id for d in page.rows if d.outbox_id is not None]
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.sent_at).where(OutboxMessage.id.in_(outbox_ids))
    )
    sent = {row.id: row.sent_at for row in rows}
    return page.with_rows([DeliveryView(d, sent.get(d.outbox_id or 0)) for d in page.rows])


@blp.route("/projects/<slug>/newsletters")
class NewsletterList(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, NewsletterPageSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The project's updates, newest first: all of them, with their state, for those who
        compose; the sent ones for everyone else."""
        project = projects.get_project(slug)
        page = newsletters_page(
            auth.viewer(), project, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        shown = page.with_rows([_view(n, detail=False) for n in page.rows])
        return base.page_body(shown, keep=(project,))

    @blp.arguments(NewsletterCreateSchema)
    @blp.response(201, NewsletterSchema)
    def post(self, body: dict[str, Any], slug: str) -> NewsletterView:
        """Write a draft (those who compose). `recipient_count` is how many its segment
        reaches now."""
        project = projects.get_project(slug)
        return _view(newsletters.create(auth.actor(), project, **body))


@blp.route(f"/projects/<slug>/newsletters/<{base.ID}:newsletter_id>")
class NewsletterDetail(MethodView):
    @blp.response(200, NewsletterSchema)
    def get(self, slug: str, newsletter_id: int) -> NewsletterView:
        """One update; for the team with its recipient count and delivery counts."""
        return _view(_newsletter(slug, newsletter_id))

    @blp.arguments(NewsletterEditSchema)
    @blp.response(200, NewsletterSchema)
    def patch(self, body: dict[str, Any], slug: str, newsletter_id: int) -> NewsletterView:
        """Change an update not yet sending (a cancelled one becomes a draft again); 409
        once sending started."""
        return _view(newsletters.update(auth.actor(), _newsletter(slug, newsletter_id), **body))

    @blp.response(204)
    def delete(self, slug: str, newsletter_id: int) -> None:
        """Delete an update that never started sending; 409 once it did."""
        newsletters.delete(auth.actor(), _newsletter(slug, newsletter_id))


@blp.route(f"/projects/<slug>/newsletters/<{base.ID}:newsletter_id>/test")
class NewsletterTest(MethodView):
    @blp.response(202, SentTestSchema)
    def post(self, slug: str, newsletter_id: int) -> dict[str, str]:
        """Send the update to the caller's own confirmed address, marked "[Test]", with their
        own personal block (422 without a confirmed address; rate-limited)."""
        actor = auth.actor()
        newsletter = _newsletter(slug, newsletter_id)
        newsletter_mail.send_test(actor, newsletter)
        return {
            "to_address": actor.email,
            "subject": newsletter_mail.TEST_PREFIX + newsletter.subject,
        }


@blp.route(f"/projects/<slug>/newsletters/<{base.ID}:newsletter_id>/schedule")
class NewsletterSchedule(MethodView):
    @blp.arguments(ScheduleSchema)
    @blp.response(200, NewsletterSchema)
    def post(self, body: dict[str, Any], slug: str, newsletter_id: int) -> NewsletterView:
        """Send `now` (the worker starts it at its next run) or at a time to come; scheduling
        again moves the time. 409, changing nothing, once sending started."""
        newsletter = _newsletter(slug, newsletter_id)
        return _view(newsletters.schedule(auth.actor(), newsletter, body["at"]))


@blp.route(f"/projects/<slug>/newsletters/<{base.ID}:newsletter_id>/cancel")
class NewsletterCancel(MethodView):
    @blp.response(200, NewsletterSchema)
    def post(self, slug: str, newsletter_id: int) -> NewsletterView:
        """Stop a scheduled update before it starts (it stays, cancelled, to edit); 409 if it
        is not scheduled."""
        return _view(newsletters.cancel(auth.actor(), _newsletter(slug, newsletter_id)))


@blp.route(f"/projects/<slug>/newsletters/<{base.ID}:newsletter_id>/deliveries")
class NewsletterDeliveries(MethodView):
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, NewsletterDeliveryPageSchema)
    def get(self, args: dict[str, Any], slug: str, newsletter_id: int) -> dict[str, Any]:
        """Who it went to and what became of each email (the team only): usernames, never
        addresses (site admins see addresses in the outbox's admin page)."""
        newsletter = _newsletter(slug, newsletter_id)
        page = deliveries_page(
            auth.actor(), newsletter, cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        return base.page_body(page, keep=(newsletter,))
