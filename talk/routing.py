"""URL converters every blueprint's routes use (installed by :func:`talk.init_app`)."""

from __future__ import annotations

from flask import Flask
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
