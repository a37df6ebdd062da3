"""Experts' curation of a project's tags: the curated vocabulary, synonyms, renaming and merging,
and verdicts on an item's tags.

A curated tag is a tag with ``curated_at`` set and, optionally, a description and an authority
URI (Wikidata, Getty AAT, GBIF, VIAF, …). A **synonym** is a tag row pointing at its canonical
tag (``canonical_id``); :func:`talk.services.tag_sync.sync_comment` resolves a ``#synonym`` to the
canonical tag when a comment is saved, so new uses fold in. Making an existing volunteer tag a
synonym **merges** it: its uses move to the canonical tag and every aggregate of the canonical
tag is recounted from its uses, in one transaction, so pages, counts, search (the tag's
document lists its synonyms) and exports see one tag from then on. Renaming leaves the old name
behind as a synonym, so stored comments' links and later edits keep pointing at the tag.

Every action is one :class:`~talk.models.TagAction` row: who, what, when, and what changed.
Each action that succeeds sends its signal (:mod:`talk.signals`) after it flushed; a curated
tag's description passes the content checks (``policy.check_content``, kind
``tag_description``) before it is written, and so do the names a curator brings in (curated
names, synonyms, new names: kind ``tag_name``).

The modules, by sub-domain: :mod:`.vocabulary` (curate, edit, synonyms, reading),
:mod:`.merging` (rename, merge), :mod:`.verdicts`, :mod:`.authorities`, and :mod:`.common`
(the steps they share). Callers use the names below.
"""

from talk.services.curation.authorities import (
    AUTHORITIES,
    Authority,
    authority,
    check_authority_uri,
)
from talk.services.curation.merging import merge, rename
from talk.services.curation.verdicts import (
    VERDICT_STATUSES,
    ItemTagEntry,
    VerdictRow,
    check_status,
    clear_verdict,
    item_tag_entries,
    set_verdict,
    verdict_rows,
    verdicts_on,
    verdicts_page,
)
from talk.services.curation.vocabulary import (
    HISTORY_LIMIT,
    add_synonym,
    curate,
    edit,
    history,
    parse_names,
    remove_synonym,
    synonyms,
    synonyms_of,
    uncurate,
    vocabulary,
)

__all__ = [
    "AUTHORITIES",
    "HISTORY_LIMIT",
    "VERDICT_STATUSES",
    "Authority",
    "ItemTagEntry",
    "VerdictRow",
    "add_synonym",
    "authority",
    "check_authority_uri",
    "check_status",
    "clear_verdict",
    "curate",
    "edit",
    "history",
    "item_tag_entries",
    "merge",
    "parse_names",
    "remove_synonym",
    "rename",
    "set_verdict",
    "synonyms",
    "synonyms_of",
    "uncurate",
    "verdict_rows",
    "verdicts_on",
    "verdicts_page",
    "vocabulary",
]
