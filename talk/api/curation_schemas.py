"""Schemas of the curation endpoints: the curated vocabulary, synonyms, renaming and merging,
the record of curation actions, and experts' verdicts (see :mod:`talk.api.base_schemas` for the
conventions they follow). The tag itself is :class:`talk.api.tag_schemas.TagSchema`, whose
``curated`` object these endpoints fill in."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from talk.api.schemas import (
    ItemRefSchema,
    PageQuerySchema,
    RequestSchema,
    Whole,
    absolute_url,
    link,
    page_schema,
)
from talk.api.tag_schemas import (
    AuthoritySchema,
    Computed,
    TagView,
    synonym_names,
    tag_api_url,
    tag_url,
)
from talk.limits import (
    MAX_AUTHORITY_URI,
    MAX_HISTORY,
    MAX_SYNONYMS,
    MAX_TAG_DESCRIPTION,
    MAX_TAG_NAME,
    MAX_VERDICT_NOTE,
)
from talk.models import TAG_ACTIONS, Project, TagVerdict, User, Verdict
from talk.services import curation, projects
from talk.services.curation import HISTORY_LIMIT, VERDICT_STATUSES


def _tag_name() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_TAG_NAME + 1),
        metadata={"description": "A tag name, with or without the '#', in any case."},
    )


def _description() -> fields.String:
    return fields.String(
        validate=validate.Length(max=MAX_TAG_DESCRIPTION),
        metadata={"description": "What the tag means in this project (a scope note)."},
    )


def _authority_uri() -> fields.String:
    return fields.String(
        allow_none=True,
        validate=validate.Length(max=MAX_AUTHORITY_URI),
        metadata={
            "description": "http(s) URI of an authority record (Wikidata, Getty AAT or TGN, "
            "GBIF, VIAF, Library of Congress, GeoNames, or any other); null or empty for none."
        },
    )


# --------------------------------------------------------------------------- requests


class VocabularyCreateSchema(RequestSchema):
    name = _tag_name()
    description = _description()
    authority_uri = _authority_uri()
    synonyms = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_TAG_NAME + 1)),
        load_default=list,
        validate=validate.Length(max=MAX_SYNONYMS),
        metadata={
            "description": f"At most {MAX_SYNONYMS} other names for it; tags already used under "
            "those names are merged into it."
        },
    )


class CurationEditSchema(RequestSchema):
    description = _description()
    authority_uri = _authority_uri()

    @validates_schema
    def something_to_change(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Send `description` and/or `authority_uri`.")


class SynonymCreateSchema(RequestSchema):
    name = _tag_name()


class RenameSchema(RequestSchema):
    new_name = _tag_name()


class MergeSchema(RequestSchema):
    into = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_TAG_NAME + 1),
        metadata={"description": "The tag that stays (any spelling, or one of its synonyms)."},
    )


class HistoryQuerySchema(RequestSchema):
    limit = Whole(
        load_default=HISTORY_LIMIT,
        validate=validate.Range(min=1, max=MAX_HISTORY),
        metadata={
            "description": (
                f"The latest this many actions, 1–{MAX_HISTORY} (default {HISTORY_LIMIT})."
            )
        },
    )


class VerdictSetSchema(RequestSchema):
    verdict = fields.String(required=True, validate=validate.OneOf([v.value for v in Verdict]))
    note = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_VERDICT_NOTE),
        metadata={"description": "Why, for the record (e.g. the species named on the sheet)."},
    )


class VerdictListQuerySchema(PageQuerySchema):
    status = fields.String(
        load_default="verified",
        validate=validate.OneOf(VERDICT_STATUSES),
        metadata={"description": "Which verdicts: `verified` (default), `rejected` or `all`."},
    )


# --------------------------------------------------------------------------- responses


class TagActionSchema(Schema):
    action = fields.String(metadata={"enum": list(TAG_ACTIONS)})
    tag_name = fields.String(metadata={"description": "The tag's name when it was done."})
    actor = fields.Function(
        lambda record: record.actor.username if record.actor else None,
        metadata={"type": "string", "nullable": True, "description": "Username of who did it."},
    )
    item = fields.Function(
        lambda record: record.item.external_id if record.item else None,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "External id of the item, for verdicts.",
        },
    )
    details = fields.Dict(
        keys=fields.String(),
        metadata={"description": "What changed: old and new values, uses and verdicts moved."},
    )
    created_at = fields.DateTime()


class VerdictTagSchema(Schema):
    """A tag as the catalogue export gives it: its curation, and the names that stand for it."""

    name = fields.String()
    curated = fields.Boolean(attribute="is_curated")
    description = fields.Function(
        lambda tag: tag.description if tag.is_curated else None,
        metadata={"type": "string", "nullable": True, "description": "Null if not curated."},
    )
    authority = Computed(
        lambda tag: curation.authority(tag.authority_uri) if tag.is_curated else None,
        AuthoritySchema,
        allow_none=True,
    )
    synonyms = fields.Function(
        synonym_names,
        metadata={"type": "array", "items": {"type": "string"}, "description": "Other names."},
    )
    url = link(tag_url, "Web page.")
    api_url = link(tag_api_url, "The tag (API).")


class StaffSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    label = fields.String(
        allow_none=True,
        metadata={"description": "Their visible title, e.g. 'Herbarium curator'; else the role."},
    )
    url = link(
        lambda staff: absolute_url("users.profile", username=staff["username"]), "Profile page."
    )


class VerdictSchema(Schema):
    item = fields.Nested(ItemRefSchema)
    tag = fields.Nested(VerdictTagSchema)
    verdict = fields.String(metadata={"enum": [v.value for v in Verdict]})
    decided_by = fields.Nested(
        StaffSchema, allow_none=True, metadata={"description": "Null if the account is gone."}
    )
    decided_at = fields.DateTime()
    note = fields.String()


TagActionListSchema = page_schema("TagActionList", TagActionSchema)
VerdictPageSchema = page_schema("VerdictPage", VerdictSchema)


# ------------------------------------------------------------------------------- views


def _staff(user: User | None, labels: dict[int, str]) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "username": user.username,
        "display_name": user.display_name,
        "label": labels.get(user.id),
    }


def verdict_rows(project: Project, verdicts: list[TagVerdict]) -> list[dict[str, Any]]:
    """Verdicts (item, tag and expert loaded) as :class:`VerdictSchema` rows: the tags'
    synonyms and the experts' labels are read for the whole list at once (two queries)."""
    names = curation.synonyms_of({v.tag_id for v in verdicts})
    labels = projects.staff_labels(project, {v.decided_by_id for v in verdicts if v.decided_by_id})
    return [
        {
            "item": verdict.item,
            "tag": TagView(verdict.tag, synonym_names=names.get(verdict.tag_id, [])),
            "verdict": verdict.verdict.value,
            "decided_by": _staff(verdict.decided_by, labels),
            "decided_at": verdict.decided_at,
            "note": verdict.note,
        }
        for verdict in verdicts
    ]


def item_verdict(verdict: TagVerdict, labels: dict[int, str]) -> dict[str, Any]:
    """A verdict as an item's tag list shows it (``ItemVerdictSchema``)."""
    decider = verdict.decided_by
    return {
        "verdict": verdict.verdict.value,
        "decided_by": decider.username if decider else None,
        "label": labels.get(decider.id) if decider else None,
        "decided_at": verdict.decided_at,
        "note": verdict.note,
    }


__all__ = [
    "CurationEditSchema",
    "HistoryQuerySchema",
    "MergeSchema",
    "RenameSchema",
    "SynonymCreateSchema",
    "TagActionListSchema",
    "VerdictListQuerySchema",
    "VerdictPageSchema",
    "VerdictSchema",
    "VerdictSetSchema",
    "VocabularyCreateSchema",
    "item_verdict",
    "verdict_rows",
]
