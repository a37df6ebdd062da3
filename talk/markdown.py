"""Comment Markdown → safe HTML, done once when a comment is written; and what a comment mentions.

markdown-it-py renders CommonMark (plus tables and strikethrough) with raw HTML disabled, and
turns bare URLs into links (linkify-it, knowing bleach's list of top-level domains; e-mail
addresses and ``ftp:`` are not linked). Linking URLs while parsing, rather than afterwards, is what
keeps ``https://example.org/page#section`` and ``https://x.org/@someone`` from being read as a
hashtag or a mention. A core rule then finds hashtags (``#église``), mentions
(``@curator``, ``@moderators``) and item references (``^K000697``) in the remaining prose text
tokens only — so code spans, code blocks, link text, link targets and URLs can never contain
one (the rules themselves are in :mod:`talk.markup`). :func:`parse` reports what was found;
:func:`render` links it through a :class:`Links` the caller supplies (without one, everything
stays plain text).

An image (``![alt](url)``) is shown inline only from a host the project trusts (``image_hosts``:
its IIIF and image servers), over HTTPS; from anywhere else it is rendered as a link to the image,
so reading a comment never sends the reader's address to a host the project did not choose (a
tracking pixel). Item cards' thumbnails are the project's own item images and always show.

bleach then cleans the result against an allow-list, so even a renderer bug cannot let a tag,
an event handler or a ``javascript:`` URL through: ``class`` is allowed only with the exact
values this module writes, and the URLs a :class:`Links` returns are checked here as well.
Every link the writer made gets ``rel="nofollow ugc noopener"``; hashtag links get
``rel="tag"``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from html import escape
from typing import Any, Protocol
from urllib.parse import urlsplit

import bleach
from bleach import html5lib_shim
from bleach.linkifier import TLDS
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from talk.image_hosts import image_shown
from talk.markup import GROUPS, Span, may_start_after, normalise_tag, scan

__all__ = [
    "GROUPS",
    "LINK_REL",
    "Found",
    "ItemCard",
    "Links",
    "normalise_tag",
    "parse",
    "render",
]

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
HASHTAG_REL = "tag"
# The only class attributes rendering writes, and so the only ones the cleaner lets through.
LINK_CLASSES = frozenset({"hashtag", "mention", "mention mention-group", "item-card"})
THUMBNAIL_SIZE = 48


def _a_attribute(tag: str, name: str, value: str) -> bool:
    if name == "class":
        return value in LINK_CLASSES
    if name == "rel":
        return set(value.split()) <= {*LINK_REL.split(), HASHTAG_REL}
    return name in {"href", "title"}


def _img_attribute(tag: str, name: str, value: str) -> bool:
    if name == "loading":
        return value == "lazy"
    if name in {"width", "height"}:
        return value == str(THUMBNAIL_SIZE)
    return name in {"src", "alt", "title"}


ALLOWED_ATTRIBUTES: dict[str, list[str] | Callable[[str, str, str], bool]] = {
    "a": _a_attribute,
    "img": _img_attribute,
    "ol": ["start"],
}


# --- what a caller supplies to make links -------------------------------------------------


@dataclass(frozen=True)
class Found:
    """What a comment body mentions, each in first-seen order without repeats.

    Hashtags and mentions inside a quotation (a Markdown blockquote, as "Reply with quote"
    writes) are the quoted writer's, not this comment's: they are in :attr:`quoted`, rendered
    as links but neither counted as tag uses nor recorded as mentions. Item references count
    wherever they stand (they only list the thread on the item's page).
    """

    hashtags: tuple[str, ...]  # normalised (see normalise_tag)
    mentions: tuple[str, ...]  # lower-cased usernames, never group names
    group_mentions: tuple[str, ...]  # a subset of GROUPS
    item_refs: tuple[str, ...]  # external ids as written
    quoted: Found | None = None  # hashtags and mentions found only inside quotations


@dataclass(frozen=True)
class ItemCard:
    """What an item reference shows: a small linked thumbnail and title."""

    url: str
    title: str
    thumbnail_url: str


class Links(Protocol):
    """Where hashtags, mentions and item references link to; None means "leave it as text"."""

    def tag_url(self, name: str) -> str | None: ...

    def user_url(self, username: str) -> str | None: ...  # None: no such user, or may not read

    def group_url(self, group: str) -> str | None: ...

    def item_card(self, external_id: str) -> ItemCard | None: ...  # None: no such item


class _Remembering:
    """Asks the caller's Links once per distinct name, however often a body repeats it."""

    def __init__(self, links: Links) -> None:
        self._links = links
        self._answers: dict[tuple[str, str], Any] = {}

    def ask(self, method: str, value: str) -> Any:
        key = (method, value)
        if key not in self._answers:
            self._answers[key] = getattr(self._links, method)(value)
        return self._answers[key]


def _safe_url(url: object) -> str | None:
    """``url`` if it is a plain relative or http(s) URL a browser cannot execute, else None."""
    if not isinstance(url, str) or not url or url != url.strip():
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in {"", "http", "https"} else None


# --- images: inline only from the project's trusted hosts (:mod:`talk.image_hosts`) -----


def _inside_link(tokens: Sequence[Token], index: int) -> bool:
    return sum({"link_open": 1, "link_close": -1}.get(t.type, 0) for t in tokens[:index]) > 0


def _render_image(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: dict
) -> str:
    """The image, or a link to it when its host is not one the project trusts."""
    token = tokens[index]
    src = str(token.attrGet("src") or "")
    if image_shown(src, env.get("image_hosts", ())):
        return renderer.image(tokens, index, options, env)
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    label = escape(f"Image: {alt}" if alt else "Image")
    if _inside_link(tokens, index) or _safe_url(src) is None:
        return label
    return f'<a href="{escape(src)}">{label}</a>'


# --- parsing: a core rule over prose text tokens -----------------------------------------

_MARKUP_TOKENS = {"hashtag", "mention", "group_mention", "item_ref"}
_TOKEN_TYPE = {"hashtag": "hashtag", "mention": "mention", "group": "group_mention"}
_TEXT_LIKE = {"text", "text_special", "code_inline", *_MARKUP_TOKENS}
_BREAKS = {"softbreak", "hardbreak"}


def _neighbour_char(tokens: Sequence[Token], index: int, step: int) -> str | None:
    """The character a reader sees next to ``tokens[index]`` going ``step`` (None: nothing)."""
    index += step
    while 0 <= index < len(tokens):
        token = tokens[index]
        if token.type in _TEXT_LIKE and token.content:
            return token.content[-1] if step < 0 else token.content[0]
        if token.type in _BREAKS or (token.nesting == 0 and token.type not in _TEXT_LIKE):
            return None  # a line break or an image separates
        index += step
    return None


def _is_fuzzy_link_after_caret(tokens: Sequence[Token], index: int) -> bool:
    """``^abc.de``: linkify took the id for a domain; the writer's caret says it is an item."""
    opening = tokens[index]
    if not (
        opening.type == "link_open"
        and opening.markup == "linkify"
        and index + 2 < len(tokens)
        and tokens[index + 1].type == "text"
        and tokens[index + 2].type == "link_close"
        and "://" not in tokens[index + 1].content
        and not tokens[index + 1].content.lower().startswith("mailto:")
        and index > 0
        and tokens[index - 1].type == "text"
        and tokens[index - 1].content.endswith("^")
    ):
        return False
    before = tokens[index - 1].content[:-1]
    return may_start_after(before[-1] if before else _neighbour_char(tokens, index - 1, -1))


def _text_runs(tokens: list[Token]) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of adjacent prose text tokens outside links."""
    link_depth = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "link_open":
            link_depth += 1
        elif token.type == "link_close":
            link_depth -= 1
        elif link_depth == 0 and token.type in {"text", "text_special"}:
            end = index
            while end < len(tokens) and tokens[end].type in {"text", "text_special"}:
                end += 1
            yield index, end
            index = end
            continue
        index += 1


def _spans_to_tokens(text: str, spans: list[Span], level: int) -> list[Token]:
    tokens: list[Token] = []

    def push(kind: str, content: str, meta: dict[str, str] | None = None) -> None:
        token = Token(kind, "", 0)
        token.content = content
        token.level = level
        token.meta = meta or {}
        tokens.append(token)

    position = 0
    for span in spans:
        if span.start > position:
            push("text", text[position : span.start])
        push(
            _TOKEN_TYPE.get(span.kind, "item_ref"),
            text[span.start : span.end],
            {"value": span.value},
        )
        position = span.end
    if position < len(text):
        push("text", text[position:])
    return tokens


def _find_markup(state: StateCore) -> None:
    """Replace hashtags, mentions and item references in prose text with their own tokens."""
    for block in state.tokens:
        if (
            block.type != "inline"
            or not block.children
            or not any(c in block.content for c in "#@^")
        ):
            continue
        tokens = block.children
        # Undo linkify where a caret shows the "domain" is an item id: ^abc.de
        index = 1
        while index < len(tokens):
            if _is_fuzzy_link_after_caret(tokens, index):
                tokens[index - 1].content += tokens[index + 1].content
                del tokens[index : index + 3]
            index += 1
        rewritten: list[Token] = []
        done = 0
        for start, end in _text_runs(tokens):
            run = tokens[start:end]
            text = ""
            escaped: set[int] = set()
            for token in run:
                if token.type == "text_special":  # \# or &#35;: written so as not to be markup
                    escaped.update(range(len(text), len(text) + len(token.content)))
                text += token.content
            spans = scan(
                text,
                before=_neighbour_char(tokens, start, -1),
                after=_neighbour_char(tokens, end - 1, +1),
                escaped=frozenset(escaped),
            )
            if not spans:
                continue
            rewritten += tokens[done:start]
            rewritten += _spans_to_tokens(text, spans, run[0].level)
            done = end
        if done:
            block.children = rewritten + tokens[done:]


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    # Link what bleach's linkifier used to (its TLDs), never e-mail addresses, never ftp:.
    assert md.linkify is not None  # enabled above
    md.linkify.set({"fuzzy_email": False}).tlds(TLDS, True).add("ftp:", None)
    md.core.ruler.after("linkify", "talk_markup", _find_markup)
    for kind in _MARKUP_TOKENS:
        md.add_render_rule(kind, _render_markup)
    md.add_render_rule("image", _render_image)
    return md


# --- rendering -----------------------------------------------------------------------------


def _render_markup(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: dict
) -> str:
    token = tokens[index]
    written = escape(token.content)
    links: _Remembering | None = env.get("links")
    if links is None:
        return written
    value = token.meta["value"]
    if token.type == "item_ref":
        card = links.ask("item_card", value)
        url = _safe_url(getattr(card, "url", None))
        if url is None:
            return written
        thumbnail = _safe_url(card.thumbnail_url)
        image = (
            f'<img src="{escape(thumbnail)}" alt="" loading="lazy" '
            f'width="{THUMBNAIL_SIZE}" height="{THUMBNAIL_SIZE}">'
            if thumbnail
            else ""
        )
        title = escape(card.title)
        return f'<a class="item-card" href="{escape(url)}">{image}<span>{title}</span></a>'
    method, html_class, rel = {
        "hashtag": ("tag_url", "hashtag", f' rel="{HASHTAG_REL}"'),
        "mention": ("user_url", "mention", ""),
        "group_mention": ("group_url", "mention mention-group", ""),
    }[token.type]
    url = _safe_url(links.ask(method, value))
    if url is None:
        return written
    return f'<a class="{html_class}" href="{escape(url)}"{rel}>{written}</a>'


class _LinkRel(html5lib_shim.Filter):  # type: ignore[name-defined]  # no stub
    """Sets ``rel`` on every link after cleaning: the writer's links are nofollow, ours are not."""

    def __iter__(self) -> Iterator[dict]:
        for token in super().__iter__():
            if token["type"] in {"StartTag", "EmptyTag"} and token["name"] == "a":
                attrs = dict(token.get("data") or {})
                html_class = attrs.get((None, "class"))
                attrs.pop((None, "rel"), None)
                if html_class == "hashtag":
                    attrs[(None, "rel")] = HASHTAG_REL
                elif html_class not in LINK_CLASSES:
                    attrs[(None, "rel")] = LINK_REL
                token["data"] = attrs
            yield token


_md = _make_parser()
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    filters=[_LinkRel],
)


#: The text parsed last in this thread and its tokens (:func:`_parsed`).
_last_parsed = threading.local()


def _parsed(markdown: str) -> list[Token]:
    """``markdown``'s tokens, parsed once for the several readers of one text: a post's content
    checks (:mod:`talk.passages`, the group mentions) and its links each read the same body,
    which was parsed three times (docs/performance-notes.md, "Posting"). The readers only read
    the tokens; rendering reads them last (:func:`render`)."""
    if getattr(_last_parsed, "text", None) == markdown:
        tokens: list[Token] = _last_parsed.tokens
        return tokens
    tokens = _md.parse(markdown)
    _last_parsed.text, _last_parsed.tokens = markdown, tokens
    return tokens


def block_tokens(markdown: str) -> list[Token]:
    """The block tokens of ``markdown`` as Talk's parser reads it (for :mod:`talk.passages`),
    shared with other readers of the same text: do not change them."""
    return _parsed(markdown)


def parse(markdown: str) -> Found:
    """The hashtags, mentions and item references a comment body contains (outside code/links);
    hashtags and mentions inside a blockquote apart, in :attr:`Found.quoted`."""
    own: dict[str, dict[str, None]] = {kind: {} for kind in _MARKUP_TOKENS}
    quoted: dict[str, dict[str, None]] = {kind: {} for kind in _MARKUP_TOKENS}
    depth = 0
    for block in _parsed(markdown):
        depth += {"blockquote_open": 1, "blockquote_close": -1}.get(block.type, 0)
        for token in block.children or ():
            if token.type in _MARKUP_TOKENS:
                counted = depth == 0 or token.type == "item_ref"
                (own if counted else quoted)[token.type][token.meta["value"]] = None
    in_quotes = _found(quoted, own)
    return replace(
        _found(own, {}), quoted=in_quotes if in_quotes != Found((), (), (), ()) else None
    )


def _found(seen: dict[str, dict[str, None]], already: dict[str, dict[str, None]]) -> Found:
    def kind(name: str) -> tuple[str, ...]:
        return tuple(value for value in seen[name] if value not in already.get(name, {}))

    return Found(kind("hashtag"), kind("mention"), kind("group_mention"), kind("item_ref"))


def render(markdown: str, links: Links | None = None, *, image_hosts: Iterable[str] = ()) -> str:
    """Sanitised HTML for a comment body; hashtags, mentions and items linked through ``links``.

    Without ``links`` they stay plain text; so does each one its Links method answers None for.
    Images show inline only from ``image_hosts`` (the project's, see
    :func:`talk.image_hosts.image_shown`), and are links to the image otherwise.
    """
    env: dict[str, Any] = {"image_hosts": tuple(image_hosts)}
    if links is not None:
        env["links"] = _Remembering(links)
    # The tokens the post's readers parsed (the content check, the links): parsing again cost
    # a tenth of a post. Rendering writes only an image's ``alt``, the same each time.
    html = _md.renderer.render(_parsed(markdown), _md.options, env)
    return _cleaner.clean(html).strip()
