"""Caveats about a discussion, as plain text, for where its content is shown away from its page.

A package that knows something readers should be told before the content (a content warning)
registers a provider per app, ``talk.caveats.register(app, provide)``, where
``provide(discussion)`` returns lines of plain text; whatever shows a discussion's comments
outside its page (a notification email, a digest) asks :func:`about` and puts the lines first.
The core names no package: with none registered, :func:`about` is empty. Lines are text, never
HTML: an HTML email escapes them like any other text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Flask, current_app

from talk.models import Discussion

#: ``provide(discussion)``: the lines of text to show before the discussion's content.
Provider = Callable[[Discussion], Sequence[str]]

_EXTENSION = "talk_caveats"


def register(app: Flask, provide: Provider) -> None:
    """Add ``provide`` to ``app``'s caveats (registering the same function twice adds it once)."""
    providers: list[Provider] = app.extensions.setdefault(_EXTENSION, [])
    if provide not in providers:
        providers.append(provide)


def about(discussion: Discussion) -> list[str]:
    """Every package's caveats about ``discussion``, in the packages' order."""
    providers: list[Provider] = current_app.extensions.get(_EXTENSION, [])
    return [line for provide in providers for line in provide(discussion)]
