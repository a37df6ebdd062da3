"""What every API resource module shares: its blueprint, page arguments, and read-checked lookups.

Reading something the caller may not read answers **404**, exactly like something that does not
exist: a private board's existence (and its discussions' and comments' ids) is not revealed.
Writes the caller may not make answer 401 (anonymous) or 403, from the services' policy checks.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

import flask
from flask import current_app
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from talk.api import auth, errors
from talk.models import Board, Comment, Discussion
from talk.pagination import Page
from talk.services import reading


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400: valid JSON, but no number a database stores
        raise ValueError(f"{text} is too large for a number")
    return number


class StrictJsonParser(FlaskParser):
    """webargs' parser, refusing what it would let through to a 500 or to the database.

    Python's ``json`` accepts ``NaN`` and ``Infinity`` (PostgreSQL's JSON type does not) and reads
    a number too large for a float (``1e400``) as infinity, and
    answers an integer of over 4,300 digits or nesting deeper than the interpreter's stack with
    a ``ValueError``/``RecursionError`` that webargs does not expect. All of these become the
    400 ``malformed_json`` answer of any other unreadable body.
    """

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        text = req.get_data(cache=True).decode("utf-8")  # UnicodeDecodeError: 400 upstream
        try:
            return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        except json.JSONDecodeError:
            raise
        except (ValueError, RecursionError) as exc:
            raise json.JSONDecodeError(str(exc), text or " ", 0) from exc


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictJsonParser()


def api_blueprint(name: str, description: str) -> Blueprint:
    """A resource blueprint: authenticated and checked before its views, errors as JSON."""
    blueprint = ApiBlueprint(name, __name__, description=description)
    blueprint.before_request(auth.check_request)
    errors.register_blueprint_handlers(blueprint)
    return blueprint


def page_limit(args: dict[str, Any]) -> int:
    return int(args.get("limit") or current_app.config["TALK_PAGE_SIZE"])


def page_body(page: Page[Any], *, keep: tuple[Any, ...] = ()) -> dict[str, Any]:
    """The list envelope every list endpoint answers with.

    ``keep``: the rows' common parents (their project, board, item), held here until the page
    is serialised after the view returns. The session's identity map holds objects only weakly,
    so without this the garbage collector may drop them and each serialised ``row.project``
    would load its project again: a query count that varies from run to run.
    """
    return {"data": page.rows, "next_cursor": page.next_cursor, "_kept": keep}


def whole_list(rows: list[Any], *, keep: tuple[Any, ...] = ()) -> dict[str, Any]:
    """The same envelope for the few short lists that are not paged (a project's boards)."""
    return page_body(Page(rows, None), keep=keep)


def readable_board(board_id: int) -> Board:
    """The board, or 404 if the caller may not read it (:func:`talk.services.reading.board`)."""
    return reading.board(auth.viewer(), board_id)


def readable_discussion(discussion_id: int) -> Discussion:
    """The discussion, or 404 if the caller may not read it."""
    return reading.discussion(auth.viewer(), discussion_id)


def readable_comment(comment_id: int) -> Comment:
    """The comment, or 404 if the caller may not read its discussion."""
    return reading.comment(auth.viewer(), comment_id)


#: Rule fragment for integer ids: larger numbers cannot be ids (and would overflow SQLite).
ID = "int(max=2147483647)"
