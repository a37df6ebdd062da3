"""What a newsletter email says: subject, plain-text and HTML parts and headers, for one
recipient (with their personal block) or for nobody (the archive, a preview); and the test
send a composer makes to themselves.

- The body is the composer's Markdown through the comment renderer and sanitiser
  (:func:`talk.markdown.render`): ``^external-id`` becomes an item card, ``#tag`` a link to the
  tag's page; images show inline only from the project's image hosts, over HTTPS, as in
  comments, and are links to the image otherwise (a newsletter cannot carry a tracking pixel,
  nor point thousands of mail clients at a host the project did not choose). Links are
  absolute (from ``TALK_PUBLIC_URL`` outside a request), headings move one level down under
  the subject's ``<h1>``.
- The HTML part is plain, accessible HTML (``lang``, ``<title>``, real headings, one layout
  table with ``role="presentation"``, descriptive link text, no script, no CSS to inline);
  the plain-text part is the Markdown itself, readable as it is, with the items it names
  listed with their addresses.
- Sender: ``"<sender name or project title>" <the site's address>`` (the address stays the
  site's, so SPF/DKIM/DMARC still align), ``Reply-To`` when the project set one, and for a
  recipient ``List-Unsubscribe`` + ``List-Unsubscribe-Post`` (RFC 8058) that stop THAT
  project's updates.
- The personal block (``newsletter.personal``): a greeting by display name and what the
  person did since the project's previous update (or since they asked for updates), counted
  by :mod:`notifications.newsletter_personal`; the sentence is left out when there is nothing
  to count.
"""

from __future__ import annotations

import logging
import re
import secrets
import weakref
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any, Protocol, TypeVar

from flask import current_app, has_request_context, render_template, request, url_for
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.routing import BuildError

from notifications import newsletters, outbox, unsubscribe
from notifications.emails import public_urls
from notifications.newsletter_models import Newsletter
from notifications.newsletter_personal import Contribution, contribution, contributions
from talk import markdown, policy, rate_limits
from talk.errors import InvalidInput
from talk.extensions import db
from talk.markdown import ItemCard
from talk.models import Item, Project, User
from talk.services import tags

log = logging.getLogger(__name__)

#: The marker on a test send's subject (and a line in its body).
TEST_PREFIX = "[Test] "


class Recipient(Protocol):
    """Whom an email is for, as far as it shows them: a ``User``, or a batch's columns of one."""

    @property
    def id(self) -> int: ...
    @property
    def display_name(self) -> str: ...


R = TypeVar("R", bound=Recipient)


@dataclass
class RenderedMail:
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


# --- the body ---------------------------------------------------------------------------------


class _NewsletterLinks:
    """Item cards and tag links at absolute addresses (a :class:`talk.markdown.Links`); people
    and groups named stay text (a newsletter notifies nobody)."""

    def __init__(self, project: Project, body: str, external: bool) -> None:
        self.project = project
        self.external = external
        refs = markdown.parse(body).item_refs
        self.items: dict[str, Item] = {}
        if refs:
            found = db.session.scalars(
                select(Item).where(Item.project_id == project.id, Item.external_id.in_(refs))
            )
            self.items = {item.external_id: item for item in found}

    def _url(self, endpoint: str, **values: Any) -> str:
        if self.external:
            return url_for(endpoint, _external=True, **values)
        return tags.site_path(endpoint, **values)

    def tag_url(self, name: str) -> str | None:
        normalised = tags.normalise(name)
        return (
            None
            if normalised is None
            else self._url("tags.show", slug=self.project.slug, name=normalised)
        )

    def user_url(self, username: str) -> str | None:
        return None

    def group_url(self, group: str) -> str | None:
        return None

    def item_card(self, external_id: str) -> ItemCard | None:
        item = self.items.get(external_id)
        if item is None:
            return None
        return ItemCard(
            url=self._url("projects.item", slug=self.project.slug, external_id=item.external_id),
            title=item.title,
            thumbnail_url=item.thumbnail_url or item.image_url,
        )


_HEADING = re.compile(r"<(/?)h([1-6])\b")
_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')


def _lower_headings(html: str) -> str:
    return _HEADING.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + 1, 6)}", html)


@dataclass(frozen=True)
class _Body:
    html: str
    items: list[ItemCard]


def _body(newsletter: Newsletter, *, external: bool) -> _Body:
    project = newsletter.project
    links = _NewsletterLinks(project, newsletter.body, external)
    html = _lower_headings(markdown.render(newsletter.body, links, image_hosts=project.image_hosts))
    if external:  # a link the writer made to a page of this site ("/projects/…")
        html = _RELATIVE.sub(lambda m: f"{m[1]}{request.host_url}", html)
    cards = [links.item_card(ref) for ref in markdown.parse(newsletter.body).item_refs]
    return _Body(html, [card for card in cards if card is not None])


def body_html(newsletter: Newsletter) -> str:
    """The sanitised HTML of the newsletter's body alone (the archive page, the composer's
    preview): links are this site's paths, headings start at ``<h2>``."""
    return _body(newsletter, external=False).html


# Rendering the body once per newsletter, not once per recipient: kept on the newsletter
# object (the sending loop holds one), and only while its body, links' root and time match.
_BODIES: weakref.WeakKeyDictionary[Newsletter, tuple[tuple[Any, ...], _Body]] = (
    weakref.WeakKeyDictionary()
)


def _external_body(newsletter: Newsletter) -> _Body:
    key = (newsletter.body, newsletter.updated_at, request.host_url)
    kept = _BODIES.get(newsletter)
    if kept is None or kept[0] != key:
        kept = (key, _body(newsletter, external=True))
        _BODIES[newsletter] = kept
    return kept[1]


# --- the email ------------------------------------------------------------------------------------


def view_url(newsletter: Newsletter) -> str:
    """The newsletter's page (``newsletters.show``), absolute."""
    slug = newsletter.project.slug
    try:
        return url_for("newsletters.show", slug=slug, newsletter_id=newsletter.id, _external=True)
    except BuildError:  # the pages are another module's; the address is agreed (issue 11)
        return url_for("projects.home", slug=slug, _external=True) + f"/updates/{newsletter.id}"


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def sender_headers(project: Project) -> dict[str, str]:
    """``From`` (the project's sender name at the site's address) and ``Reply-To``."""
    identity = newsletters.sender(project)
    name = _one_line(identity.sender_name or project.title)
    address = parseaddr(current_app.config["TALK_MAIL_FROM"])[1]
    headers = {"From": str(Address(display_name=name, addr_spec=address))}
    if identity.reply_to:
        headers["Reply-To"] = identity.reply_to
    return headers


def render(newsletter: Newsletter, recipient: User | None = None) -> RenderedMail:
    """The email of ``newsletter`` for ``recipient`` (None: without a personal block or
    unsubscribe link, as the archive shows it)."""
    with nullcontext() if has_request_context() else public_urls():
        return _render(newsletter, recipient, test=False)


def render_each(newsletter: Newsletter, people: Sequence[R]) -> list[tuple[R, RenderedMail | None]]:
    """Each person's email, for a batch of recipients: their personal blocks counted together
    (:func:`contributions`), and what every email of the batch shares (the frame, the sender's
    and list's headers, the links' request context) made once. None (logged) for a person
    whose email could not be rendered: one bad email must not stop the newsletter."""
    counted = contributions(newsletter, [person.id for person in people])
    mails: list[tuple[R, RenderedMail | None]] = []
    with nullcontext() if has_request_context() else public_urls():
        shared = _Shared.of(newsletter, test=False, recipient=True)
        links = unsubscribe.newsletter_unsubscribe_links(newsletter.project)
        for person in people:
            try:
                mail = shared.mail(person, counted[person.id], links(person))
            except Exception:
                log.exception(
                    "newsletter %s: rendering for user %s failed", newsletter.id, person.id
                )
                mails.append((person, None))
            else:
                mails.append((person, mail))
    return mails


# A recipient's own parts, filled into the email rendered once per newsletter (:class:`_Frame`)
# with plain string templates: every personal value escaped in HTML, left as it is in text.
GREETING_HTML = "<p>Hello {name},</p>"
SENTENCE_HTML = "\n          <p>{sentence}</p>"
GREETING_TEXT = "\nHello {name},\n"
SENTENCE_TEXT = "{sentence}\n"


@dataclass(frozen=True)
class _Frame:
    """A newsletter's email rendered once by its templates, with a slot (``personal``,
    ``unsubscribe``) where each recipient's own part goes: Jinja once per newsletter, not twice
    per person. ``html`` and ``text`` alternate literal text and slot names."""

    html: tuple[str, ...]
    text: tuple[str, ...]

    @staticmethod
    def fill(parts: tuple[str, ...], values: dict[str, str]) -> str:
        return "".join(values[part] if odd % 2 else part for odd, part in enumerate(parts))


# Kept on the newsletter object (as its body is), per variant, while what they show is unchanged.
_FRAMES: weakref.WeakKeyDictionary[Newsletter, tuple[tuple[Any, ...], dict[Any, _Frame]]] = (
    weakref.WeakKeyDictionary()
)


def _frame(newsletter: Newsletter, *, test: bool, personal: bool, recipient: bool) -> _Frame:
    project = newsletter.project
    key: tuple[Any, ...] = (newsletter.subject, newsletter.body, newsletter.updated_at)
    key += (request.host_url, project.slug, project.title)
    kept = _FRAMES.get(newsletter)
    if kept is None or kept[0] != key:
        kept = (key, {})
        _FRAMES[newsletter] = kept
    variant = (test, personal, recipient)
    if variant not in kept[1]:
        kept[1][variant] = _render_frame(
            newsletter, test=test, personal=personal, recipient=recipient
        )
    return kept[1][variant]


def _render_frame(newsletter: Newsletter, *, test: bool, personal: bool, recipient: bool) -> _Frame:
    """The templates rendered with a marker in each slot (NUL-delimited and random, so no text
    of the newsletter can be taken for one), then cut at the markers."""
    token = secrets.token_hex(8)

    def slot(name: str) -> Markup:
        return Markup(f"\x00{token}-{name}\x00")  # noqa: S704 - a marker, replaced below

    project = newsletter.project
    subject = (TEST_PREFIX if test else "") + newsletter.subject
    context: dict[str, Any] = {
        "subject": subject,
        "project": project,
        "project_url": url_for("projects.home", slug=project.slug, _external=True),
        "view_url": view_url(newsletter),
        "body": _external_body(newsletter),
        "markdown": newsletter.body,
        "personal": slot("personal") if personal else None,
        "test": test,
        "unsubscribe_url": slot("unsubscribe") if recipient else None,
    }
    if recipient:
        context["settings_url"] = url_for("email_settings.page", _external=True)
    marker = re.compile(f"\x00{token}-([a-z]+)\x00")
    return _Frame(
        html=tuple(marker.split(render_template("newsletters/email.html", **context))),
        text=tuple(marker.split(render_template("newsletters/email.txt", **context))),
    )


@dataclass(frozen=True)
class _Shared:
    """What every email of a newsletter (and variant) shares, made once for a batch: the
    frame, the subject, and the sender's and list's headers."""

    frame: _Frame
    subject: str
    sender: dict[str, str]
    list_id: str
    personal: bool

    @staticmethod
    def of(
        newsletter: Newsletter, *, test: bool, recipient: bool, personal: bool | None = None
    ) -> _Shared:
        project = newsletter.project
        personal = newsletter.personal and recipient if personal is None else personal
        frame = _frame(newsletter, test=test, personal=personal, recipient=recipient)
        list_id = f"<{project.slug}.updates.{outbox.mail_domain()}>"
        subject = (TEST_PREFIX if test else "") + newsletter.subject
        return _Shared(frame, subject, sender_headers(project), list_id, personal)

    def mail(
        self, recipient: Recipient | None, personal: Contribution | None, link: str | None
    ) -> RenderedMail:
        """The email for ``recipient`` (with ``personal`` when the frame has its slot, and the
        unsubscribe ``link``): the frame with their own parts filled in."""
        html: dict[str, str] = {}
        text: dict[str, str] = {}
        headers = dict(self.sender)
        if recipient is not None and personal is not None and self.personal:
            name, sentence = recipient.display_name, personal.sentence()
            html["personal"] = GREETING_HTML.format(name=escape(name))
            text["personal"] = GREETING_TEXT.format(name=name)
            if sentence:
                html["personal"] += SENTENCE_HTML.format(sentence=escape(sentence))
                text["personal"] += SENTENCE_TEXT.format(sentence=sentence)
        if link is not None:
            html["unsubscribe"], text["unsubscribe"] = str(escape(link)), link
            headers.update(unsubscribe.list_unsubscribe(link))
        headers["List-Id"] = self.list_id
        return RenderedMail(
            subject=self.subject,
            text=_Frame.fill(self.frame.text, text),
            html=_Frame.fill(self.frame.html, html),
            headers=headers,
        )


def _render(newsletter: Newsletter, recipient: User | None, *, test: bool) -> RenderedMail:
    """One email, in a request context (links are absolute): the newsletter's frame with the
    recipient's own parts filled in."""
    personal = None
    if recipient is not None and newsletter.personal:
        personal = contribution(newsletter, recipient)
    shared = _Shared.of(
        newsletter, test=test, recipient=recipient is not None, personal=personal is not None
    )
    link = None
    if recipient is not None:
        link = unsubscribe.newsletter_unsubscribe_links(newsletter.project)(recipient)
    return shared.mail(recipient, personal, link)


def send_test(actor: Any, newsletter: Newsletter) -> None:
    """Queue the newsletter, as ``actor`` would receive it (their personal block included), to
    ``actor``'s own verified address, its subject marked "[Test] " (category ``newsletter``).
    Rate-limited (``newsletter_test``); 422 when the address was never confirmed."""
    policy.require(actor, "newsletter.compose", newsletter.project)
    if not isinstance(actor, User) or actor.email_verified_at is None:
        raise InvalidInput(
            "A test goes to your own address, and yours is not confirmed yet: confirm it first.",
            {"email": ["Not confirmed."]},
        )
    rate_limits.hit("newsletter_test", actor)
    with nullcontext() if has_request_context() else public_urls():
        mail = _render(newsletter, actor, test=True)
    outbox.enqueue(
        to_address=actor.email,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        category="newsletter",
        user=actor,
        headers=mail.headers,
    )
