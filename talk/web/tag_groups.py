"""Tag group pages: a project's groups, one group's items, the new/edit forms with a preview,
a preview page anyone may use, and the group's CSV and JSON exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from talk import policy
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.exports import csv_line, download
from talk.forms import TagGroupForm
from talk.models import Project, TagGroup
from talk.services import projects, reading, tag_groups, tag_matching
from talk.services.tag_matching import ExportedItem, Matches, TagOnItem
from talk.web.common import (
    ResponseLike,
    add_error_handlers,
    cursor_arg,
    page_size,
    submit_form,
    viewer,
)

bp = Blueprint("tag_groups", __name__)
add_error_handlers(bp)

CSV_COLUMNS = ("external_id", "title", "url", "image_url", "tags", "verified_tags")
TRUE = frozenset({"1", "y", "on", "true", "yes"})
QUERY_HINT = (
    "Tags written #name, joined with AND, OR and NOT; parentheses group. "
    "For example: #nurse AND (#smallpox OR #measles) AND NOT #army"
)


def _preview(matches: Matches, *, cursor: str | None = None) -> dict[str, Any]:
    """What the preview sections show: the count and one page of items with their tags."""
    page = tag_matching.matching_items(matches, cursor=cursor, limit=page_size())
    return {
        "matches": matches,
        "page": page,
        "count": tag_matching.count_items(matches),
        "on_items": tag_matching.tags_on_items(matches, page.rows),
    }


@bp.route("/projects/<slug>/groups")
def index(slug: str) -> ResponseLike:
    """The project's tag groups, by address."""
    project = projects.get_project(slug)
    page = tag_groups.list_groups(project, cursor=cursor_arg(), limit=page_size())
    return render_template("tag_groups/index.html", project=project, page=page)


@bp.route("/projects/<slug>/groups/preview")
def preview(slug: str) -> ResponseLike:
    """What a query matches now, without saving it (anyone may try queries)."""
    project = projects.get_project(slug)
    query = request.args.get("query", "")
    verified_only = request.args.get("verified_only", "").lower() in TRUE
    status, problems, shown = 200, [], None
    if query.strip():
        try:
            shown = _preview(
                tag_matching.match(project, query, verified_only=verified_only),
                cursor=cursor_arg(),
            )
        except InvalidInput as error:
            status, problems = error.status, error.fields.get("query") or [error.message]
    return render_template(
        "tag_groups/preview.html",
        project=project,
        query=query,
        verified_only=verified_only,
        problems=problems,
        preview=shown,
        query_hint=QUERY_HINT,
    ), status


@bp.route("/projects/<slug>/groups/new", methods=["GET", "POST"])
def new(slug: str) -> ResponseLike:
    """Save a query as a group (``?query=`` fills the form in, e.g. from the preview page)."""
    project = projects.get_project(slug)
    policy.require(viewer(), "tag_group.create", project)
    form = TagGroupForm()
    if not form.is_submitted():
        form.query.data = request.args.get("query", "")
        form.verified_only.data = request.args.get("verified_only", "").lower() in TRUE
    return _form(project, form, None)


@bp.route("/projects/<slug>/groups/<group_slug>/edit", methods=["GET", "POST"])
def edit(slug: str, group_slug: str) -> ResponseLike:
    project, group = reading.tag_group(slug, group_slug)
    policy.require(viewer(), "tag_group.manage", group)
    form = TagGroupForm(obj=group) if request.method == "GET" else TagGroupForm()
    return _form(project, form, group)


def _form(project: Project, form: TagGroupForm, group: TagGroup | None) -> ResponseLike:
    """Show the form; preview its query (the "Preview" button); or save and go to the group."""
    status, problems, shown = 200, [], None
    if form.is_submitted() and "preview" in request.form:
        matched = submit_form(
            form,
            lambda: tag_matching.match(
                project, form.query.data or "", verified_only=bool(form.verified_only.data)
            ),
        )
        if matched.refused:
            status, problems = matched.status, matched.problems
        else:
            shown = _preview(matched.value)
    elif form.is_submitted():
        if not form.validate():
            status = 422
        else:
            outcome = submit_form(form, lambda: _save(project, form, group))
            if not outcome.refused:
                return redirect(
                    url_for("tag_groups.show", slug=project.slug, group_slug=outcome.value.slug)
                )
            status, problems = outcome.status, outcome.problems
    return render_template(
        "tag_groups/form.html",
        project=project,
        group=group,
        form=form,
        problems=problems,
        preview=shown,
        query_hint=QUERY_HINT,
    ), status


def _save(project: Project, form: TagGroupForm, group: TagGroup | None) -> TagGroup:
    title, query = form.title.data or "", form.query.data or ""
    description, verified_only = form.description.data or "", bool(form.verified_only.data)
    if group is None:
        group = tag_groups.create_group(
            viewer(),
            project,
            title=title,
            query=query,
            description=description,
            verified_only=verified_only,
        )
        flash("The group is saved.", "success")
    else:
        tag_groups.edit_group(
            viewer(),
            group,
            title=title,
            description=description,
            query=query,
            verified_only=verified_only,
        )
        flash("The group is updated.", "success")
    missing = tag_matching.group_matches(group).not_on_items
    if missing:
        flash(
            f"Not on any item yet: {', '.join(missing)}. The group shows those items as soon "
            "as someone tags them (check the spelling if that is not expected).",
            "info",
        )
    return group


@bp.route("/projects/<slug>/groups/<group_slug>")
def show(slug: str, group_slug: str) -> ResponseLike:
    """A group: its query with each tag linked, its items newest first, exports."""
    project, group = reading.tag_group(slug, group_slug)
    return render_template(
        "tag_groups/show.html",
        project=project,
        group=group,
        **_preview(tag_matching.group_matches(group), cursor=cursor_arg()),
    )


@bp.route("/projects/<slug>/groups/<group_slug>/delete", methods=["POST"])
def delete(slug: str, group_slug: str) -> ResponseLike:
    project, group = reading.tag_group(slug, group_slug)
    tag_groups.delete_group(viewer(), group)
    flash(f"The group “{group.title}” is deleted.", "success")
    return redirect(url_for("tag_groups.index", slug=project.slug))


# ------------------------------------------------------------------------------------ exports


def _item_url(project_slug: str, item: ExportedItem) -> str:
    return url_for("projects.item", slug=project_slug, external_id=item.external_id, _external=True)


def _each_item(slug: str, group_slug: str) -> Iterator[tuple[ExportedItem, list[TagOnItem]]]:
    """The group's items for a streamed body. The body is written after the view has returned
    and the request's session has committed and closed, so the group is read again here, in
    the session of the streaming context."""
    _project, group = reading.tag_group(slug, group_slug)
    yield from tag_matching.each_item(tag_matching.group_matches(group))


@bp.route("/projects/<slug>/groups/<group_slug>/export.csv")
def export_csv(slug: str, group_slug: str) -> ResponseLike:
    """Every matching item, one row each: ``tags`` lists the group's tags on it (names separated
    by spaces), ``verified_tags`` those an expert verified."""
    # A missing group is a 404 before streaming.
    project, group = reading.tag_group(slug, group_slug)

    def rows() -> Iterator[str]:
        yield csv_line(CSV_COLUMNS)
        for item, found in _each_item(slug, group_slug):
            yield csv_line(
                (
                    item.external_id,
                    item.title,
                    _item_url(slug, item),
                    item.image_url,
                    " ".join(t.tag.name for t in found),
                    " ".join(t.tag.name for t in found if t.verified),
                )
            )

    return download(rows(), "text/csv", f"{project.slug}-{group.slug}.csv")


@bp.route("/projects/<slug>/groups/<group_slug>/export.json")
def export_json(slug: str, group_slug: str) -> ResponseLike:
    """The group and every matching item, as one JSON document written as it is read."""
    project, group = reading.tag_group(slug, group_slug)
    group_url = url_for("tag_groups.show", slug=slug, group_slug=group_slug, _external=True)
    head = {
        "project": project.slug,
        "group": {
            "slug": group.slug,
            "title": group.title,
            "description": group.description,
            "query": group.query,
            "verified_only": group.verified_only,
            "url": group_url,
        },
        "exported_at": utcnow().isoformat(),
    }

    def item_json(item: ExportedItem, found: list[TagOnItem]) -> str:
        return json.dumps(
            {
                "external_id": item.external_id,
                "title": item.title,
                "url": _item_url(slug, item),
                "image_url": item.image_url,
                "tags": [{"name": t.tag.name, "verified": t.verified} for t in found],
            },
            ensure_ascii=False,
        )

    def document() -> Iterator[str]:
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "items": ['
        for n, (item, found) in enumerate(_each_item(slug, group_slug)):
            yield ("," if n else "") + "\n" + item_json(item, found)
        yield "\n]}\n"

    return download(document(), "application/json", f"{project.slug}-{group.slug}.json")
