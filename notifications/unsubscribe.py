"""One-click unsubscribe (RFC 8058): a signed link in every notification email and digest
(``List-Unsubscribe``) that turns off the categories that email is about, in its project when
all of it is about one project, else site-wide.

``POST /unsubscribe/<token>`` unsubscribes without a login or CSRF token (a mail client posts
``List-Unsubscribe=One-Click`` from the user's inbox; the signed token is the authority, and it
can do nothing but this, for this person). ``GET`` only shows a confirmation page with a
button, because link scanners fetch every URL in an email. The answer lists each category
turned off with an undo of its own, and an undo of all, back to what each was before (the
before state travels in the answer's form, as nothing else remembers it).

A project's updates (newsletters) are no preference but a consent: a token naming the category
``newsletter`` (and always its project) withdraws that consent (:mod:`notifications.consent`,
source ``unsubscribe``), and its undo gives it again with the words shown on the page
(:func:`newsletter_unsubscribe_headers` for each newsletter email). It touches no other project.

A token names a person, a set of categories and a project or none. Links sent before sets
existed name one category as a string; they keep working. Tokens are signed with the site's
key under a salt of their own, so no other signed link of the site (account email, cursors)
is one of these. Account mail (sign-up, password, address) carries no unsubscribe: it is
transactional, and no preference stops it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from itsdangerous import BadSignature, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode

from notifications import consent, preferences
from talk.clock import utcnow
from talk.extensions import csrf, db
from talk.models import Project, User
from talk.web.common import ResponseLike, add_error_handlers

bp = Blueprint("unsubscribe", __name__, template_folder="templates")
add_error_handlers(bp)

SALT = "talk.email-unsubscribe"
#: The undo form's "back to the default" (no stored choice).
DEFAULT = "default"
#: The undo button's value that takes back every category of the link.
ALL = "all"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt=SALT)


def _ordered(categories: Collection[str]) -> list[str]:
    """``categories`` once each, in the settings page's order."""
    return [c for c in preferences.PREFERENCE_CATEGORIES if c in categories]


Categories = str | Collection[str]  # one category, or several

#: The category of a project's updates: its token withdraws the consent to them, in its project.
NEWSLETTER = "newsletter"


def token_for(user: User, categories: Categories, project: Project | None = None) -> str:
    """A token naming ``user``'s ``categories`` (one or more), in ``project`` or site-wide;
    or, for :data:`NEWSLETTER` (alone, with a project), ``user``'s consent to its updates."""
    if isinstance(categories, str):
        categories = (categories,)
    if NEWSLETTER in categories:
        if list(categories) != [NEWSLETTER] or project is None:
            raise ValueError("a newsletter's unsubscribe names its project and nothing else")
        return _newsletter_token(_serializer(), user, project)
    for category in categories:
        preferences.check_category(category)
    if not categories:
        raise ValueError("an unsubscribe token names at least one category")
    payload = {
        "u": user.id,
        "c": _ordered(categories),
        "p": None if project is None else project.id,
    }
    return str(_serializer().dumps(payload))


def unsubscribe_url(user: User, categories: Categories, project: Project | None = None) -> str:
    token = token_for(user, categories, project)
    return url_for("unsubscribe.confirm", token=token, _external=True)


def unsubscribe_headers(
    user: User, categories: Categories, project: Project | None = None
) -> dict[str, str]:
    """The RFC 8058 headers for an email about ``categories`` (in ``project``) to ``user``,
    for :func:`notifications.outbox.enqueue` (``headers=``). Needs a request context or
    ``SERVER_NAME`` (the URL is absolute)."""
    return list_unsubscribe(unsubscribe_url(user, categories, project))


def list_unsubscribe(url: str) -> dict[str, str]:
    """The RFC 8058 headers for an unsubscribe link already made (a newsletter makes each
    person's once, for its body and its headers)."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


@dataclass(frozen=True)
class Subscription:
    """What a token names: one person's categories, site-wide or in one project."""

    user: User
    categories: tuple[str, ...]
    project: Project | None

    @property
    def updates(self) -> bool:
        """Whether it names the consent to a project's updates (not preferences)."""
        return self.categories == (NEWSLETTER,)


def _newsletter_token(serializer: URLSafeSerializer, user: User, project: Project) -> str:
    return str(serializer.dumps({"u": user.id, "c": [NEWSLETTER], "p": project.id}))


def newsletter_unsubscribe_url(user: User, project: Project) -> str:
    """The one-click link that stops ``project``'s updates to ``user`` (absolute)."""
    return newsletter_unsubscribe_links(project)(user)


class Someone(Protocol):
    """Whom a link is made for: a ``User``, or a newsletter batch's columns of one."""

    @property
    def id(self) -> int: ...


def newsletter_unsubscribe_links(project: Project) -> Callable[[Someone], str]:
    """:func:`newsletter_unsubscribe_url` for many people (a newsletter's batch): the
    address around the token made once, and each token signed by :func:`_newsletter_signer`
    (a sixth of handing a batch over when itsdangerous signed each)."""
    sign = _newsletter_signer(_serializer(), project)
    marker = "token"  # the URL's last segment: the token, URL-safe as it is
    head, _, tail = url_for("unsubscribe.confirm", token=marker, _external=True).rpartition(marker)
    return lambda user: f"{head}{sign(user.id)}{tail}"


def _newsletter_signer(serializer: URLSafeSerializer, project: Project) -> Callable[[int], str]:
    """The token :func:`_newsletter_token` makes, for many people: the same bytes as
    itsdangerous writes (its compact JSON, URL-safe base64, its derived key's HMAC), so links
    sent before and after read alike, but with the HMAC keyed once and copied for each person
    and the JSON around the user's id written once. itsdangerous would try zlib on each
    payload, never shorter for one this small (~40 bytes): uncompressed, as it would write it;
    its ``loads`` reads either."""
    signer = serializer.make_signer()
    keyed = hmac.new(signer.derive_key(), digestmod=signer.digest_method)
    sep = signer.sep
    # {"u":<id>,"c":["newsletter"],"p":<project>}, as json.dumps(separators=(",", ":")) writes
    after = f',"c":["{NEWSLETTER}"],"p":{int(project.id)}}}'.encode()

    def sign(user_id: int) -> str:
        payload = base64_encode(b'{"u":%d%s' % (user_id, after))
        mac = keyed.copy()
        mac.update(payload)
        return (payload + sep + base64_encode(mac.digest())).decode("ascii")

    return sign


def newsletter_unsubscribe_headers(user: User, project: Project) -> dict[str, str]:
    """The RFC 8058 headers of a newsletter email from ``project`` to ``user`` (for
    :func:`notifications.outbox.enqueue`; needs a request context or ``SERVER_NAME``)."""
    return unsubscribe_headers(user, NEWSLETTER, project)


class BadToken(Exception):
    """Not one of our unsubscribe links (tampered, cut, another purpose's)."""


def _categories(named: Any) -> tuple[str, ...]:
    """The categories a token names: a list of them, or (links sent before sets) one string."""
    if isinstance(named, str):
        named = [named]
    if not isinstance(named, list) or not named:
        raise BadToken
    if named == [NEWSLETTER]:
        return (NEWSLETTER,)
    if not all(isinstance(c, str) and c in preferences.PREFERENCE_CATEGORIES for c in named):
        raise BadToken
    if len(set(named)) != len(named):
        raise BadToken
    return tuple(_ordered(named))


def read(token: str) -> Subscription:
    try:
        data: Any = _serializer().loads(token)
    except BadSignature as exc:
        raise BadToken from exc
    if not isinstance(data, dict) or set(data) != {"u", "c", "p"}:
        raise BadToken
    user_id, categories, project_id = data["u"], _categories(data["c"]), data["p"]
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise BadToken
    if project_id is not None and (not isinstance(project_id, int) or isinstance(project_id, bool)):
        raise BadToken
    user = db.session.get(User, user_id)
    project = None if project_id is None else db.session.get(Project, project_id)
    if user is None or (project_id is not None and project is None):
        raise BadToken  # the account or the project is gone: nothing to unsubscribe from
    if categories == (NEWSLETTER,) and project is None:
        raise BadToken  # updates are a project's: a site-wide one names nothing
    return Subscription(user, categories, project)


# --------------------------------------------------------------------------- changing


def stop(subscription: Subscription) -> dict[str, str]:
    """Turn every category of ``subscription`` off at its scope (idempotent). Returns what
    each was before, for the undo: its stored choice, or :data:`DEFAULT` when it had none or
    was off already (a repeated POST cannot know the choice before the first)."""
    user, project = subscription.user, subscription.project
    before: dict[str, str] = {}
    for category in subscription.categories:
        stored = preferences.stored_choice(user, project, category)
        before[category] = DEFAULT if stored in (None, "never") else str(stored)
        preferences.unsubscribe(user, category, project)
    return before


class BadUndo(Exception):
    """The undo form names a category or a choice it cannot; the message names the field."""


def undo_request(
    subscription: Subscription, form: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Read an undo form: the before state it carries (``before.<category>``, for the page)
    and the categories to take back (``undo``: one of the link's, or :data:`ALL`). A form of
    the single-category page (``choice`` only) still works."""
    names = subscription.categories
    if "undo" not in form and "choice" in form and len(names) == 1:
        form = {"undo": names[0], f"before.{names[0]}": form["choice"]}
    before: dict[str, str] = {}
    for category in names:
        value = form.get(f"before.{category}")
        if value is None:
            continue
        if value != DEFAULT and value not in preferences.CHOICES:
            choices = ", ".join((DEFAULT, *preferences.CHOICES))
            raise BadUndo(f"before.{category}: one of {choices}.")
        before[category] = value
    which = form.get("undo", "")
    if which != ALL and which not in names:
        raise BadUndo(f"undo: one of {', '.join((ALL, *names))}.")
    undoing = list(names) if which == ALL else [which]
    missing = [f"before.{c}" for c in undoing if c not in before]
    if missing:
        raise BadUndo(f"{', '.join(missing)}: missing (what to go back to).")
    return before, undoing


def take_back(subscription: Subscription, before: Mapping[str, str], undoing: list[str]) -> None:
    """Give each category of ``undoing`` its choice before (:data:`DEFAULT`: none of its own)."""
    for category in undoing:
        choice = before[category]
        preferences.resubscribe(
            subscription.user, category, None if choice == DEFAULT else choice, subscription.project
        )


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Row:
    """One category on the page: its words, what undo restores, and where it stands now."""

    category: str
    label: str
    before: str
    off: bool  # off at the link's scope (an undo button is offered)
    current: str  # the choice that applies now


def _rows(subscription: Subscription, before: Mapping[str, str]) -> list[Row]:
    user, project = subscription.user, subscription.project
    return [
        Row(
            category,
            preferences.PREFERENCE_CATEGORIES[category],
            before.get(category, DEFAULT),
            preferences.stored_choice(user, project, category) == "never",
            preferences.chosen(user, project, category),
        )
        for category in subscription.categories
    ]


def _valid_before(form: Mapping[str, str]) -> dict[str, str]:
    """The before state of a refused undo form, its well-formed values only (to show again)."""
    return {
        name.removeprefix("before."): value
        for name, value in form.items()
        if name.startswith("before.") and value in (DEFAULT, *preferences.CHOICES)
    }


def _refused() -> ResponseLike:
    return render_template("notifications/unsubscribe_invalid.html"), 400


def _page(subscription: Subscription, token: str, before: Mapping[str, str], **context: Any) -> str:
    return render_template(
        "notifications/unsubscribe.html",
        subscription=subscription,
        token=token,
        rows=_rows(subscription, before),
        **context,
    )


#: How long the answer page of a newsletter's unsubscribe may give the consent back (seconds).
UNDO_SECONDS = 3600
UNDO_SALT = "talk.updates-undo"


class _ClockSigner(TimestampSigner):
    """Times from :func:`talk.clock.utcnow` (the site's clock, which tests set)."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _undo_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        str(current_app.config["SECRET_KEY"]), salt=UNDO_SALT, signer=_ClockSigner
    )


def _undo_ticket(subscription: Subscription) -> str:
    """Proof, for :data:`UNDO_SECONDS`, that this unsubscribe just withdrew a consent: only
    its answer page can give it back. The link alone cannot: it never expires and may be
    forwarded, and an undo records a consent in the person's name."""
    assert subscription.project is not None
    return _undo_signer().dumps([subscription.user.id, subscription.project.id])


def _valid_ticket(subscription: Subscription, ticket: str) -> bool:
    assert subscription.project is not None
    try:
        named = _undo_signer().loads(ticket, max_age=UNDO_SECONDS)
    except BadSignature:  # SignatureExpired included
        return False
    return bool(named == [subscription.user.id, subscription.project.id])


def _updates_page(subscription: Subscription, token: str, **context: Any) -> str:
    """The page of a newsletter's link: the project's updates, on or off, with the words an
    undo agrees to."""
    assert subscription.project is not None  # read() refuses a newsletter token without one
    return render_template(
        "consent/unsubscribe.html",
        subscription=subscription,
        project=subscription.project,
        token=token,
        opted_in=consent.is_opted_in(subscription.user, subscription.project),
        wording=consent.wording(subscription.project),
        **context,
    )


def _undo_updates(subscription: Subscription, token: str) -> ResponseLike:
    """Give the consent again (source ``unsubscribe``), to the words the page showed."""
    assert subscription.project is not None
    if not _valid_ticket(subscription, request.form.get("ticket", "")):
        problem = (
            "This page can no longer give the updates back (an undo works for an hour after "
            "unsubscribing). Log in and choose in your settings instead."
        )
        return _updates_page(subscription, token, done=True, problem=problem), 403
    if request.form.get("wording") != consent.wording(subscription.project):
        problem = "The words shown have changed since: read them again and answer."
        ticket = request.form.get("ticket")
        return _updates_page(subscription, token, done=True, problem=problem, ticket=ticket), 409
    consent.opt_in(subscription.user, subscription.project, source="unsubscribe")
    return _updates_page(subscription, token, done=True, undone=True)


@bp.route("/unsubscribe/<token>", methods=["GET"])
def confirm(token: str) -> ResponseLike:
    """A page with a button: opening the link (a scanner does) changes nothing."""
    try:
        subscription = read(token)
    except BadToken:
        return _refused()
    if subscription.updates:
        return _updates_page(subscription, token, done=False)
    return _page(subscription, token, {}, done=False)


@bp.route("/unsubscribe/<token>", methods=["POST"])
@csrf.exempt
def one_click(token: str) -> ResponseLike:
    """Unsubscribe (the mail client's one-click POST, or the confirmation page's button):
    idempotent; the page offers to undo each category, back to what it was before."""
    try:
        subscription = read(token)
    except BadToken:
        return _refused()
    if subscription.updates:
        assert subscription.project is not None
        withdrew = consent.opt_out(subscription.user, subscription.project, source="unsubscribe")
        ticket = _undo_ticket(subscription) if withdrew else None
        return _updates_page(subscription, token, done=True, ticket=ticket)
    return _page(subscription, token, stop(subscription), done=True)


@bp.route("/unsubscribe/<token>/undo", methods=["POST"])
def undo(token: str) -> ResponseLike:
    """Take back one category (``undo=<category>``) or all (``undo=all``). Needs the page's
    CSRF token: only the unsubscribe itself is one-click."""
    try:
        subscription = read(token)
    except BadToken:
        return _refused()
    if subscription.updates:
        return _undo_updates(subscription, token)
    try:
        before, undoing = undo_request(subscription, request.form)
    except BadUndo as problem:
        page = _page(
            subscription, token, _valid_before(request.form), done=True, problem=str(problem)
        )
        return page, 422
    take_back(subscription, before, undoing)
    undone = [preferences.PREFERENCE_CATEGORIES[c] for c in undoing]
    return _page(subscription, token, before, done=True, undone=undone)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
