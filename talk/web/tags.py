"""Tag pages: a project's tags (popular and trending), one tag's items and discussions, the
curated vocabulary with its curation forms, experts' verdicts on an item's tags, and the export
of verified tags."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from talk import policy
from talk.exports import csv_line, download
from talk.extensions import db
from talk.forms import (
    CurateForm,
    MergeForm,
    RenameForm,
    SynonymForm,
    TagEditForm,
    VerdictForm,
)
from talk.models import Project, Tag
from talk.services import curation, projects, reading, tags
from talk.web.common import (
    ResponseLike,
    add_error_handlers,
    cursor_arg,
    page_form,
    page_size,
    submit_form,
    viewer,
)

bp = Blueprint("tags", __name__)
add_error_handlers(bp)

INDEX_TRENDING = 20
TAG_DISCUSSIONS = 10
RELATED = 12
EXPORT_COLUMNS = (
    "item_external_id",
    "item_title",
    "item_url",
    "tag",
    "authority_uri",
    "authority",
    "synonyms",
    "verdict",
    "decided_by",
    "decided_at",
    "note",
    "tag_url",
)


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
    """A tag: the items carrying it, the discussions using it, tags found with it, and (when
    curated) its description, authority and synonyms."""
    project, tag = reading.tag(slug, name)
    if tag.name != name:  # one address per tag: /tags/Église → /tags/église, synonyms too
        kept: dict[str, Any] = {
            k: v for k, v in request.args.items() if k not in ("slug", "name") and k[:1] != "_"
        }
        kept.update(slug=slug, name=tag.name)
        return redirect(url_for("tags.show", **kept), 301)
    return _tag_page(project, tag)


def _tag_page(
    project: Project,
    tag: Tag,
    *,
    status: int = 200,
    problems: list[str] | None = None,
    forms: dict[str, FlaskForm] | None = None,
) -> ResponseLike:
    items_page = tags.tag_items(tag, cursor=cursor_arg(), limit=page_size())
    discussions = tags.tag_discussions(
        viewer(), tag, cursor=request.args.get("discussions") or None, limit=TAG_DISCUSSIONS
    )
    related = tags.related_tags(tag, limit=RELATED)
    verdicts = curation.verdicts_on(tag, [row.item_id for row in items_page.rows])
    forms = forms or {}
    curates = policy.may(viewer(), "tags.curate", project)
    if tag.is_curated and "edit" not in forms:
        forms["edit"] = page_form(
            TagEditForm,
            curates,
            formdata=None,
            description=tag.description,
            authority_uri=tag.authority_uri or "",
        )
    for key, form_class in (
        ("synonym", SynonymForm),
        ("rename", RenameForm),
        ("merge", MergeForm),
        ("plain", FlaskForm),
    ):
        if key not in forms:
            forms[key] = page_form(form_class, curates, formdata=None)
    return (
        render_template(
            "tags/show.html",
            project=project,
            tag=tag,
            items=items_page,
            verdicts=verdicts,
            discussions=discussions,
            related=[(counted.tag, counted.count) for counted in related],
            authority=curation.authority(tag.authority_uri),
            synonyms=curation.synonyms(tag),
            curator_labels=projects.staff_labels(
                project, [tag.curated_by_id] if tag.curated_by_id else []
            ),
            history=curation.history(tag=tag),
            forms=forms,
            problems=problems or [],
        ),
        status,
    )


def _curation_post(
    slug: str,
    name: str,
    key: str,
    form_class: type[FlaskForm],
    act: Callable[[Any, Tag, Any], Tag | None],
    done: str,
) -> ResponseLike:
    """Run one curation action from the tag page's form ``key``: back to the (possibly renamed
    or merged) tag with a message, or the tag page again with the problems, nothing changed."""
    project, tag = reading.tag(slug, name)
    form = form_class()
    problems: list[str] = []
    status = 422
    if form.validate():
        outcome = submit_form(form, lambda: act(viewer(), tag, form) or tag)
        if not outcome.refused:
            result = outcome.value
            flash(done.format(tag=result.name), "success")
            return redirect(url_for("tags.show", slug=slug, name=result.name))
        status, problems = outcome.status, outcome.problems
        tag = tags.get_tag(project, name)  # as stored: the refused change was rolled back
    return _tag_page(project, tag, status=status, problems=problems, forms={key: form})


@bp.route("/projects/<slug>/tags/<name>/edit", methods=["POST"])
def edit(slug: str, name: str) -> ResponseLike:
    return _curation_post(
        slug,
        name,
        "edit",
        TagEditForm,
        lambda user, tag, form: curation.edit(
            user,
            tag,
            description=form.description.data or "",
            authority_uri=form.authority_uri.data or "",
        ),
        "#{tag} is updated.",
    )


@bp.route("/projects/<slug>/tags/<name>/uncurate", methods=["POST"])
def uncurate(slug: str, name: str) -> ResponseLike:
    return _curation_post(
        slug,
        name,
        "plain",
        FlaskForm,
        lambda user, tag, _form: curation.uncurate(user, tag),
        "#{tag} is no longer in the curated vocabulary.",
    )


@bp.route("/projects/<slug>/tags/<name>/synonyms", methods=["POST"])
def add_synonym(slug: str, name: str) -> ResponseLike:
    def act(user: Any, tag: Tag, form: Any) -> Tag:
        curation.add_synonym(user, tag, form.synonym.data or "")
        return tag

    return _curation_post(
        slug, name, "synonym", SynonymForm, act, "The synonym is added: it now counts as #{tag}."
    )


@bp.route("/projects/<slug>/tags/<name>/synonyms/<synonym>/remove", methods=["POST"])
def remove_synonym(slug: str, name: str, synonym: str) -> ResponseLike:
    def act(user: Any, tag: Tag, _form: Any) -> Tag:
        curation.remove_synonym(user, tag, synonym)
        return tag

    return _curation_post(
        slug, name, "plain", FlaskForm, act, f"#{synonym} is no longer a synonym of #{{tag}}."
    )


@bp.route("/projects/<slug>/tags/<name>/rename", methods=["POST"])
def rename(slug: str, name: str) -> ResponseLike:
    return _curation_post(
        slug,
        name,
        "rename",
        RenameForm,
        lambda user, tag, form: curation.rename(user, tag, form.new_name.data or ""),
        f"Renamed: #{name} is now #{{tag}} (the old name stays as a synonym).",
    )


@bp.route("/projects/<slug>/tags/<name>/merge", methods=["POST"])
def merge(slug: str, name: str) -> ResponseLike:
    def act(user: Any, tag: Tag, form: Any) -> Tag:
        into = tags.get_tag(tag.project, (form.into.data or "").strip().lstrip("#"))
        return curation.merge(user, tag, into)

    return _curation_post(slug, name, "merge", MergeForm, act, f"#{name} is merged into #{{tag}}.")


@bp.route("/projects/<slug>/vocabulary", methods=["GET", "POST"])
def vocabulary(slug: str) -> ResponseLike:
    """The curated vocabulary (GET), or a tag added to it (POST)."""
    project = projects.get_project(slug)
    form = CurateForm(formdata=None, name=request.args.get("name", ""))
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        form = CurateForm()
        status = 422
        if form.validate():
            outcome = submit_form(
                form,
                lambda: curation.curate(
                    viewer(),
                    project,
                    form.name.data or "",
                    description=form.description.data or "",
                    authority_uri=form.authority_uri.data or "",
                    synonyms=form.synonyms.data or "",
                ),
            )
            if not outcome.refused:
                tag = outcome.value
                flash(f"#{tag.name} is in the curated vocabulary.", "success")
                return redirect(url_for("tags.show", slug=slug, name=tag.name))
            status, problems = outcome.status, outcome.problems
    page = curation.vocabulary(project, cursor=cursor_arg(), limit=page_size() * 2)
    return (
        render_template(
            "tags/vocabulary.html",
            project=project,
            page=page,
            synonyms=curation.synonyms_of(tag.id for tag in page.rows),
            authorities={tag.id: curation.authority(tag.authority_uri) for tag in page.rows},
            history=curation.history(project=project),
            form=form,
            problems=problems,
        ),
        status,
    )


@bp.route("/projects/<slug>/verdicts", methods=["POST"])
def verdict(slug: str) -> ResponseLike:
    """An expert verifies, rejects or clears a tag on an item (from the item page)."""
    project, item = reading.item(slug, request.form.get("item", ""))
    form = VerdictForm()
    back = url_for("projects.item", slug=slug, external_id=item.external_id) + "#tags-heading"
    if not form.validate():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    tag = tags.get_tag(project, (form.tag.data or "").strip().lstrip("#"))
    choice = request.form.get("verdict", "")
    if choice == "clear":
        curation.clear_verdict(viewer(), item, tag)
        flash(f"The verdict on #{tag.name} is withdrawn.", "success")
    else:
        curation.set_verdict(viewer(), item, tag, choice, form.note.data or "")
        flash(f"#{tag.name} is {choice} on this item.", "success")
    return redirect(back)


def _export_rows(project_id: int, status: str) -> Iterator[dict[str, Any]]:
    """The export's rows, read while the response streams: the request's session is gone by
    then, so the project is read afresh by id."""
    project = db.session.get(Project, project_id)
    assert project is not None
    labels: dict[int, str] = {}
    for row in curation.verdict_rows(project, status=status):
        decided_by = row.verdict.decided_by
        if decided_by is not None and decided_by.id not in labels:
            labels.update(projects.staff_labels(project, [decided_by.id]))
        found = curation.authority(row.tag.authority_uri)
        yield {
            "item_external_id": row.item.external_id,
            "item_title": row.item.title,
            "item_url": url_for(
                "projects.item",
                slug=project.slug,
                external_id=row.item.external_id,
                _external=True,
            ),
            "tag": row.tag.name,
            "authority_uri": row.tag.authority_uri or "",
            "authority": found.label if found else "",
            "synonyms": row.synonyms,
            "verdict": row.verdict.verdict.value,
            "decided_by": (
                labels.get(decided_by.id) or decided_by.display_name if decided_by else ""
            ),
            "decided_at": row.verdict.decided_at.isoformat(),
            "note": row.verdict.note,
            "tag_url": url_for("tags.show", slug=project.slug, name=row.tag.name, _external=True),
        }


@bp.route("/projects/<slug>/verified-tags.<any(csv, json):fmt>")
def export(slug: str, fmt: str) -> ResponseLike:
    """Experts' verdicts as catalogue-ready data: verified tags by default, ``?status=all`` or
    ``rejected`` for the rest. Written as it is read, however many there are."""
    project = projects.get_project(slug)
    status = request.args.get("status", "verified")
    curation.check_status(status)  # before the response starts
    filename = f"{project.slug}-{status}-tags.{fmt}"
    project_id = project.id
    if fmt == "csv":
        lines = (
            csv_line(" ".join(v) if isinstance(v, list) else v for v in row.values())
            for row in _export_rows(project_id, status)
        )
        return download(_prepend(csv_line(EXPORT_COLUMNS), lines), "text/csv", filename)

    def document() -> Iterator[str]:
        yield '{"project": ' + json.dumps(slug) + ', "status": ' + json.dumps(status)
        yield ', "tags": ['
        for n, row in enumerate(_export_rows(project_id, status)):
            yield ("," if n else "") + json.dumps(row, ensure_ascii=False)
        yield "]}\n"

    return download(document(), "application/json", filename)


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
