"""Curated tags and experts' verdicts: the project's vocabulary (description, authority link,
synonyms), renaming and merging tags, the record of curation actions, an expert's verdict on a
tag of an item, and the verdicts as a catalogue export.

A tag in a path is named as everywhere in the API: in any spelling, and a synonym stands for its
tag (``…/tags/eglise/history`` is the history of ``église`` when ``eglise`` is its synonym).
Curating (and renaming, merging, synonyms) is for experts, the project team and admins; verdicts
for experts, project admins and owners. Reading is open to everyone, like the tags themselves.

An item's external id may hold '/', so ``…/items/<external_id>/tags/<name>/verdict`` always means
a verdict (an item whose external id itself ends in ``/tags/<name>/verdict`` has none here).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.views import MethodView

from talk.api import auth, base
from talk.api import curation_schemas as schemas
from talk.api.schemas import PageQuerySchema
from talk.api.tag_schemas import TagListSchema, TagSchema, TagView, with_synonyms
from talk.errors import InvalidInput, NotFound, TalkError
from talk.models import Item, Project, Tag, TagVerdict
from talk.services import curation, projects, reading, tags

blp = base.api_blueprint(
    "api_curation", "Curated tags, synonyms, renaming and merging; experts' verdicts."
)


@blp.route("/projects/<slug>/vocabulary")
class Vocabulary(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, TagListSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The project's curated tags, alphabetically, with their curation (paged)."""
        project = projects.get_project(slug)
        page = curation.vocabulary(project, cursor=args.get("cursor"), limit=base.page_limit(args))
        shown = page.with_rows(with_synonyms([TagView(tag) for tag in page.rows]))
        return base.page_body(shown, keep=(project,))

    @blp.arguments(schemas.VocabularyCreateSchema)
    @blp.response(201, TagSchema)
    def post(self, body: dict[str, Any], slug: str) -> Tag:
        """Add a tag to the vocabulary, used already or not yet, with its synonyms: tags used
        under those names are merged into it. 409 if it is curated already or a synonym.
        Experts, project team and admins."""
        return curation.curate(
            auth.actor(),
            projects.get_project(slug),
            body["name"],
            description=body.get("description", ""),
            authority_uri=body.get("authority_uri"),
            synonyms=body["synonyms"],
        )


@blp.route("/projects/<slug>/tags/<name>/curation")
class TagCuration(MethodView):
    @blp.arguments(schemas.CurationEditSchema)
    @blp.response(200, TagSchema)
    def patch(self, body: dict[str, Any], slug: str, name: str) -> Tag:
        """Change a curated tag's description and/or authority link (a field left out stays as
        it is; `authority_uri` null or empty removes the link)."""
        tag = _tag(slug, name)
        authority_uri = body.get("authority_uri")
        if "authority_uri" in body and authority_uri is None:
            authority_uri = ""
        return curation.edit(
            auth.actor(), tag, description=body.get("description"), authority_uri=authority_uri
        )

    @blp.response(204)
    def delete(self, slug: str, name: str) -> None:
        """Take the tag out of the vocabulary. Its uses stay, and so do its synonyms."""
        curation.uncurate(auth.actor(), _tag(slug, name))


@blp.route("/projects/<slug>/tags/<name>/synonyms")
class TagSynonyms(MethodView):
    @blp.arguments(schemas.SynonymCreateSchema)
    @blp.response(201, TagSchema)
    def post(self, body: dict[str, Any], slug: str, name: str) -> Tag:
        """Make `name` stand for this tag: its uses so far are merged in, later ones count here.
        409 if it is a synonym of a tag already, or a curated tag (merge that instead)."""
        tag = _tag(slug, name)
        with _field_named("synonym", "name"):
            curation.add_synonym(auth.actor(), tag, body["name"])
        return tag


@blp.route("/projects/<slug>/tags/<name>/synonyms/<synonym>")
class TagSynonym(MethodView):
    @blp.response(204)
    def delete(self, slug: str, name: str, synonym: str) -> None:
        """`synonym` stops standing for the tag: later uses form a tag of their own (uses merged
        already stay)."""
        curation.remove_synonym(auth.actor(), _tag(slug, name), synonym)


@blp.route("/projects/<slug>/tags/<name>/rename")
class TagRename(MethodView):
    @blp.arguments(schemas.RenameSchema)
    @blp.response(200, TagSchema)
    def post(self, body: dict[str, Any], slug: str, name: str) -> Tag:
        """Give the tag a new name; the old one becomes its synonym. 409 if another tag has the
        name (merge into it instead)."""
        return curation.rename(auth.actor(), _tag(slug, name), body["new_name"])


@blp.route("/projects/<slug>/tags/<name>/merge")
class TagMerge(MethodView):
    @blp.arguments(schemas.MergeSchema)
    @blp.response(200, TagSchema)
    def post(self, body: dict[str, Any], slug: str, name: str) -> Tag:
        """Merge the tag into the tag `into`: its uses and verdicts move there, and its name (and
        synonyms) become synonyms of `into`. Answers the tag that stays."""
        project = projects.get_project(slug)
        source = tags.get_tag(project, name)
        try:
            target = tags.get_tag(project, body["into"])
        except NotFound as exc:
            raise InvalidInput(exc.message, {"into": ["No such tag in this project."]}) from exc
        return curation.merge(auth.actor(), source, target)


@blp.route("/projects/<slug>/tags/<name>/history")
class TagHistory(MethodView):
    @blp.arguments(schemas.HistoryQuerySchema, location="query")
    @blp.response(200, schemas.TagActionListSchema)
    def get(self, args: dict[str, Any], slug: str, name: str) -> dict[str, Any]:
        """The latest curation actions on the tag, newest first (one list, not paged)."""
        project, tag = reading.tag(slug, name)
        return base.whole_list(curation.history(tag=tag, limit=args["limit"]), keep=(project,))


@blp.route("/projects/<slug>/items/<path:external_id>/tags/<name>/verdict")
class ItemTagVerdict(MethodView):
    @blp.arguments(schemas.VerdictSetSchema)
    @blp.response(200, schemas.VerdictSchema)
    def put(self, body: dict[str, Any], slug: str, external_id: str, name: str) -> dict[str, Any]:
        """Record an expert's verdict on the tag for the item, replacing an earlier one. The tag
        need not be on the item yet: an expert may verify a curated tag directly. Experts,
        project admins and owners."""
        project, item, tag = _item_tag(slug, external_id, name)
        verdict = curation.set_verdict(auth.actor(), item, tag, body["verdict"], body["note"])
        return schemas.verdict_rows(project, [verdict])[0]

    @blp.response(204)
    def delete(self, slug: str, external_id: str, name: str) -> None:
        """Withdraw the verdict on the tag for the item (404 if there is none)."""
        _project, item, tag = _item_tag(slug, external_id, name)
        curation.clear_verdict(auth.actor(), item, tag)


@blp.route("/projects/<slug>/verdicts")
class ProjectVerdicts(MethodView):
    @blp.arguments(schemas.VerdictListQuerySchema, location="query")
    @blp.response(200, schemas.VerdictPageSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """The experts' verdicts, by item and tag (paged): the catalogue export. `status`
        `verified` (default) gives the tags experts confirmed, with their authority links."""
        project = projects.get_project(slug)
        page = curation.verdicts_page(
            project, status=args["status"], cursor=args.get("cursor"), limit=base.page_limit(args)
        )
        verdicts: list[TagVerdict] = page.rows
        shown = page.with_rows(schemas.verdict_rows(project, verdicts))
        return base.page_body(shown, keep=(project, verdicts))


def _tag(slug: str, name: str) -> Tag:
    return reading.tag(slug, name)[1]


def _item_tag(slug: str, external_id: str, name: str) -> tuple[Project, Item, Tag]:
    """The project, its item and the tag ``name`` stands for — a tag nobody uses any more too,
    so a verdict on it can still be changed or withdrawn."""
    project, item = reading.item(slug, external_id)
    tag = tags.find_tag(project, name)
    if tag is None:
        raise NotFound(f"No tag #{name} in project {project.slug!r}.")
    return project, item, tag


@contextmanager
def _field_named(service_field: str, request_field: str) -> Iterator[None]:
    """Report a service's problems with ``service_field`` under the request's own field name."""
    try:
        yield
    except TalkError as error:
        if service_field in error.fields:
            error.fields = {
                request_field if key == service_field else key: value
                for key, value in error.fields.items()
            }
        raise
