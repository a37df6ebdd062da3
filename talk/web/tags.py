"""Tag pages: a project's tags (popular and trending), and one tag's items and discussions."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from talk.services import projects, tags
from talk.web.common import ResponseLike, add_error_handlers, cursor_arg, page_size, viewer

bp = Blueprint("tags", __name__)
add_error_handlers(bp)

INDEX_TRENDING = 20
TAG_DISCUSSIONS = 10
RELATED = 12


@bp.route("/projects/<slug>/tags")
def index(slug: str) -> ResponseLike:
    """The project's tags: trending this week, and all of them by popularity."""
    project = projects.get_project(slug)
    popular = tags.popular_tags(project, cursor=cursor_arg(), limit=page_size() * 2)
    trending = tags.trending_tags(project, limit=INDEX_TRENDING)
    return render_template(
        "tags/index.html",
        project=project,
        popular=popular,
        popular_counts=[(tag, tag.use_count) for tag in popular.rows],
        trending=[(counted.tag, counted.count) for counted in trending],
        trending_days=tags.TRENDING_DAYS,
    )


@bp.route("/projects/<slug>/tags/<name>")
def show(slug: str, name: str) -> ResponseLike:
    """A tag: the items carrying it, the discussions using it, and tags found with it."""
    project = projects.get_project(slug)
    tag = tags.get_tag(project, name)
    if tag.name != name:  # one address per tag: /tags/Église → /tags/église
        return redirect(url_for("tags.show", slug=slug, name=tag.name, **request.args), 301)
    items = tags.tag_items(tag, cursor=cursor_arg(), limit=page_size())
    discussions = tags.tag_discussions(
        viewer(), tag, cursor=request.args.get("discussions") or None, limit=TAG_DISCUSSIONS
    )
    related = tags.related_tags(tag, limit=RELATED)
    return render_template(
        "tags/show.html",
        project=project,
        tag=tag,
        items=items,
        discussions=discussions,
        related=[(counted.tag, counted.count) for counted in related],
    )
