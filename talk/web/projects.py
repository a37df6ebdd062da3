"""Project pages: the index, a project's home, boards, items and recent comments."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from talk import policy, signals
from talk.errors import InvalidInput, NotFound
from talk.forms import DiscussionForm, VerdictForm
from talk.models import Board, Item, Project
from talk.pagination import Page
from talk.services import curation, discussions, items, listing, mentions, projects, reading
from talk.web.common import (
    ResponseLike,
    add_error_handlers,
    announce_view,
    cursor_arg,
    page_form,
    page_size,
    submit_form,
    viewer,
)
from talk.web.discussions import preview_html

bp = Blueprint("projects", __name__)
add_error_handlers(bp)

HOME_DISCUSSIONS = 10
HOME_ITEMS = 12


@bp.route("/")
def index() -> ResponseLike:
    """Every project with its picture, description and activity (over the boards the viewer
    may read)."""
    page = listing.all_projects(viewer(), cursor=cursor_arg(), limit=page_size())
    covers = listing.project_covers([shown.project for shown in page.rows])
    return render_template("projects/index.html", page=page, covers=covers)


@bp.route("/favicon.ico")
def favicon() -> ResponseLike:
    """The site's icon where browsers and feed readers look for it without a ``<link>``
    (180 bytes, read whole, so no response holds the file open until it is closed)."""
    icon = Path(current_app.static_folder or "", "favicon.ico").read_bytes()
    response = Response(icon, mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.route("/projects/<slug>")
def home(slug: str) -> ResponseLike:
    """What a project talks about: its boards, recent discussions and discussed items."""
    project = projects.get_project(slug)
    user = viewer()
    announce_view(signals.project_viewed, project)
    boards = projects.readable_boards(user, project)
    recent = listing.project_discussions(user, project, cursor=None, limit=HOME_DISCUSSIONS)
    discussed = None
    if listing.can_see_item_threads(user, project):
        discussed = listing.recently_discussed_items(project, cursor=None, limit=HOME_ITEMS)
    return render_template(
        "projects/home.html", project=project, boards=boards, recent=recent, discussed=discussed
    )


@bp.route("/projects/<slug>/boards/<int:board_id>")
def board(slug: str, board_id: int) -> ResponseLike:
    project = projects.get_project(slug)
    board = reading.board(viewer(), board_id, project=project, conceal=False)
    page = listing.board_discussions(board, cursor=cursor_arg(), limit=page_size())
    return render_template("projects/board.html", project=project, board=board, page=page)


@bp.route("/projects/<slug>/boards/<int:board_id>/new", methods=["GET", "POST"])
def new_discussion(slug: str, board_id: int) -> ResponseLike:
    """Start a discussion on a general board (item threads start from the item's page)."""
    project = projects.get_project(slug)
    board = reading.board(viewer(), board_id, project=project, conceal=False)
    if board.kind == "items":
        raise NotFound("Item discussions start from the item's own page.")
    policy.require(viewer(), "board.start_discussion", board)
    action = url_for("projects.new_discussion", slug=slug, board_id=board.id)
    return _discussion_form(project, board, None, action)


@bp.route("/projects/<slug>/items", endpoint="items")
def items_list(slug: str) -> ResponseLike:
    """A project's items: found by external id or title, ordered, filtered by tag or by "has
    discussions" (a GET form, so it works without JavaScript and each search has an address).
    A search that is not right shows the form again with what to change (422)."""
    project = projects.get_project(slug)
    show_counts = listing.can_see_item_threads(viewer(), project)
    status, problems = 200, []
    exact, page = None, Page[Item]([], None)
    try:
        query = items.item_query(request.args, sees_discussions=show_counts)
        tag = listing.item_list_tag(project, query)
        page = listing.project_items(
            project, cursor=cursor_arg(), limit=page_size(), query=query, tag=tag
        )
        if not cursor_arg():
            exact = items.find_exact(project, query.text)
    except InvalidInput as error:
        status, problems = error.status, [error.message]
        query = items.ItemQuery()
    return render_template(
        "projects/items.html",
        project=project,
        page=page,
        exact=exact,
        query=query,
        asked=request.args,
        sorts=items.ITEM_SORTS,
        discussion_sorts=items.DISCUSSION_SORTS,
        show_counts=show_counts,
        problems=problems,
    ), status


@bp.route("/projects/<slug>/items/<path:external_id>")
def item(slug: str, external_id: str) -> ResponseLike:
    """An item, large, with what is known about it and the threads about it."""
    project, item = reading.item(slug, external_id)
    announce_view(signals.item_viewed, item)
    page = None
    if listing.can_see_item_threads(viewer(), project):
        page = listing.item_discussions(item, cursor=cursor_arg(), limit=page_size())
    entries = curation.item_tag_entries(item)
    return render_template(
        "projects/item.html",
        project=project,
        item=item,
        page=page,
        form=page_form(DiscussionForm, policy.may(viewer(), "item.start_discussion", item)),
        item_tags=entries,
        verdict_labels=projects.staff_labels(
            project,
            [e.verdict.decided_by_id for e in entries if e.verdict and e.verdict.decided_by_id],
        ),
        verdict_form=page_form(
            VerdictForm, policy.may(viewer(), "tags.verify", project), formdata=None
        ),
        mentioned_in=mentions.mentioned_in(viewer(), item),
        iiif_info=items.iiif_info_url(item),
    )


@bp.route("/projects/<slug>/new-discussion/<path:external_id>", methods=["GET", "POST"])
def new_item_discussion(slug: str, external_id: str) -> ResponseLike:
    """Start a discussion about one item (it goes on the project's items board)."""
    project, item = reading.item(slug, external_id)
    policy.require(viewer(), "item.start_discussion", item)
    action = url_for("projects.new_item_discussion", slug=slug, external_id=item.external_id)
    return _discussion_form(project, policy.items_board(project), item, action)


def _discussion_form(
    project: Project, board: Board, item: Item | None, action: str
) -> ResponseLike:
    """Show the new-discussion form, or start the discussion and go to it."""
    form = DiscussionForm()
    status, problems, preview = 200, [], None
    if form.validate_on_submit() and "preview" in request.form:
        shown = submit_form(form, lambda: preview_html(viewer(), board, form.body.data or ""))
        status, problems, preview = shown.status, shown.problems, shown.result
    elif form.validate_on_submit():
        outcome = submit_form(
            form,
            lambda: discussions.start_discussion(
                viewer(), board, form.title.data or "", form.body.data or "", item=item
            ),
        )
        if not outcome.refused:
            if outcome.value.is_held:
                flash(
                    "Your discussion is waiting for a moderator: others will see it once it "
                    "is approved.",
                    "success",
                )
            else:
                flash("Your discussion was started.", "success")
            return redirect(url_for("discussions.show", discussion_id=outcome.value.id))
        status, problems = outcome.status, outcome.problems
    elif form.is_submitted():
        status = 422
    return render_template(
        "projects/new_discussion.html",
        project=project,
        board=board,
        item=item,
        form=form,
        problems=problems,
        action=action,
        preview=preview,
    ), status


@bp.route("/projects/<slug>/comments")
def comments(slug: str) -> ResponseLike:
    """The newest comments across the boards the viewer may read."""
    project = projects.get_project(slug)
    page = listing.project_comments(viewer(), project, cursor=cursor_arg(), limit=page_size())
    labels = projects.staff_labels(project, {c.author_id for c in page.rows})
    return render_template("projects/comments.html", project=project, page=page, labels=labels)
