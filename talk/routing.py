"""URL converters every blueprint's routes use (installed by :func:`talk.init_app`), and
:func:`id_url`, the per-request URL patterns list pages format ids into."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, url_for
from werkzeug.routing import IntegerConverter


class AsciiIntegerConverter(IntegerConverter):
    """``<int:...>`` matching ASCII digits only.

    werkzeug's own matches ``\\d+``, which in Python's regular expressions is any Unicode digit:
    ``/boards/٣`` or ``/boards/３`` would be board 3. An id is written 0–9; anything else names
    no page (404, like ``/boards/x``).
    """

    regex = r"[0-9]+"


def install(app: Flask) -> None:
    """Make ``int`` the ASCII converter; call before any route is registered."""
    app.url_map.converters["int"] = AsciiIntegerConverter
    app.add_template_global(id_url, "id_url")


#: Stands for the id while a URL pattern is built: a number no row has (the largest id is
#: 2,147,483,647), so ``<int:...>`` accepts it and it is found once in the URL built.
_PLACEHOLDER = 2147483646


def id_url(endpoint: str, id_name: str, id_value: int, **values: Any) -> str:
    """``url_for(endpoint, **{id_name: id_value}, **values)``, building the URL once per request
    for all ids: list pages link every row (its permalink, its Reply, its Report), and
    ``url_for`` costs about 20 µs a call where formatting an id into a kept pattern costs less
    than one. ``values`` must be hashable (they are part of the pattern's key)."""
    with_id: dict[str, Any] = {**values, id_name: id_value}
    if not has_request_context():
        return url_for(endpoint, **with_id)
    patterns: dict[tuple[Any, ...], tuple[str, str] | None] = g.setdefault(_PATTERNS, {})
    key = (endpoint, id_name, *sorted(values.items()))
    if key not in patterns:
        built = url_for(endpoint, **{**values, id_name: _PLACEHOLDER})
        head, _, tail = built.partition(str(_PLACEHOLDER))
        patterns[key] = (head, tail) if built.count(str(_PLACEHOLDER)) == 1 else None
    pattern = patterns[key]
    if pattern is None:  # the placeholder's digits occur elsewhere in the URL
        return url_for(endpoint, **with_id)
    return f"{pattern[0]}{int(id_value)}{pattern[1]}"


_PATTERNS = "talk_url_patterns"
