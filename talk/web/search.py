"""The search page: ``/search?q=…&project=…`` and its filters, with highlighted results."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for

from talk import search as search_service
from talk.errors import NotFound, TalkError
from talk.search import KINDS, SearchRequest, parse_day
from talk.web.common import (
    TITLES,
    ResponseLike,
    add_error_handlers,
    cursor_arg,
    int_arg,
    page_size,
    viewer,
)

bp = Blueprint("search", __name__)
add_error_handlers(bp)

FILTERS = ("project", "board", "item", "author", "tag", "kind", "from", "to")


def _asked() -> dict[str, str]:
    """The search's own arguments as sent (to refill the form and build the next page's link)."""
    return {name: request.args.get(name, "") for name in ("q", *FILTERS)}


def _request(asked: dict[str, str]) -> SearchRequest:
    return SearchRequest(
        q=asked["q"],
        project=asked["project"] or None,
        board=int_arg("board"),
        item=asked["item"] or None,
        author=asked["author"] or None,
        tag=asked["tag"] or None,
        kind=asked["kind"] or None,
        date_from=parse_day(asked["from"], "from"),
        date_to=parse_day(asked["to"], "to"),
    )


@bp.route("/search", endpoint="results")
def results() -> ResponseLike:
    """Search what the viewer may read; an empty query shows the form.

    A query or filter that cannot be searched answers 422 (404 for a project, board, item,
    author or tag that does not exist) on this same page, the form refilled and the problem
    named, so it can be corrected in place.
    """
    asked = _asked()
    found = project = None
    problem: TalkError | None = None
    try:
        if asked["q"].strip():
            found = search_service.search(
                viewer(), _request(asked), cursor=cursor_arg(), limit=page_size()
            )
            project = found.project
        elif asked["project"]:
            project = search_service.search_scope(asked["project"])
    except TalkError as error:
        if not isinstance(error, NotFound) and error.status not in (400, 422):
            raise
        problem = error
    more = None
    if found is not None and found.next_cursor:
        wanted: dict[str, Any] = {k: v for k, v in asked.items() if v}
        more = url_for("search.results", **wanted, cursor=found.next_cursor)
    context: dict[str, Any] = {
        "asked": asked,
        "found": found,
        "project": project,
        "problem": problem,
        "problem_title": TITLES.get(problem.status, "") if problem else "",
        "kinds": KINDS,
        "more": more,
    }
    status = problem.status if problem else 200
    return render_template("search/results.html", **context), status
