"""What a comment's Markdown says, and where: the writer's own words apart from quotations.

Content checks need this: words in a quotation (a blockquote, as "Reply with quote" writes, or a
record quoted verbatim) and in a **transcription block** (a fenced block whose info string is
``transcription``) are the record's or another writer's, not this writer's, just as
:func:`talk.markdown.parse` leaves a quotation's hashtags and mentions uncounted::

    ```transcription
    Admitted 3 May 1911. Form of disorder: ...
    ```

It also counts the links and images a comment makes (for new volunteers' limits).
"""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it.token import Token

from talk.markdown import block_tokens

#: The info string of a fenced code block that holds a transcription of the record.
TRANSCRIPTION = "transcription"
_BREAKS = frozenset({"softbreak", "hardbreak"})


@dataclass(frozen=True)
class Passages:
    """``own``: the writer's words (paragraphs, headings, code); ``quoted``: the words in
    blockquotes and transcription blocks; ``links``: links made to other sites (written or
    bare addresses, anywhere; a link to a path on this site, as a quotation's "wrote" link, is
    not counted); ``images``: images, anywhere."""

    own: str
    quoted: str
    links: int
    images: int


def _inline_text(block: Token) -> tuple[str, int, int]:
    words: list[str] = []
    links = images = 0
    for token in block.children or ():
        if token.type in _BREAKS:
            words.append("\n")
        elif token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            links += not (href.startswith("/") and not href.startswith("//"))
        elif token.type == "image":
            images += 1
            words.append(" " + token.content + " ")
        elif token.content:
            words.append(token.content)
    return "".join(words), links, images


def is_transcription(block: Token) -> bool:
    return block.type == "fence" and block.info.strip().split()[:1] == [TRANSCRIPTION]


def passages(markdown: str) -> Passages:
    """Split ``markdown`` into its own and quoted words, counting links and images."""
    own: list[str] = []
    quoted: list[str] = []
    links = images = depth = 0
    for block in block_tokens(markdown):
        depth += {"blockquote_open": 1, "blockquote_close": -1}.get(block.type, 0)
        into = quoted if depth else own
        if block.type == "inline":
            text, made, shown = _inline_text(block)
            into.append(text)
            links, images = links + made, images + shown
        elif block.type in {"fence", "code_block"}:
            (quoted if is_transcription(block) else into).append(block.content)
    return Passages("\n".join(own), "\n".join(quoted), links, images)
