"""The search index's tables, as migration ``0003_search`` creates them.

They are not models: database triggers write them (see the migration), Talk only reads them. So
they live in their own :class:`~sqlalchemy.MetaData`, and the models-vs-migrations check and
Alembic's autogenerate skip them (:func:`is_search_table`).
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, column, table
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR

from talk.models._types import UTCDateTime

metadata = MetaData()

#: One row per searchable thing. ``kind`` is comment, discussion, item or tag and ``source_id``
#: that row's id; the rest is copied from the source (a comment's board and item from its
#: discussion) so filters need no joins. ``tsv`` and ``tag_ids`` (the document's tags, migration
#: ``0034_talk_search_tag_ids``: the tag filter's GIN bitmap) exist on PostgreSQL only.
documents = Table(
    "search_documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16)),
    Column("source_id", Integer),
    Column("project_id", Integer),
    Column("board_id", Integer),
    Column("discussion_id", Integer),
    Column("item_id", Integer),
    Column("author_id", Integer),
    Column("created_at", UTCDateTime),
    Column("language", String(64)),
    Column("title", Text),
    Column("body", Text),
    Column("tsv", TSVECTOR),
    Column("tag_ids", ARRAY(Integer)),
)

#: For each document, the tags its source carries (a comment's hashtags, a discussion's, an
#: item's) and a tag's own document under its id: the tag filter's one range scan. Kept by the
#: triggers of migration ``0033_talk_search_document_tags``.
document_tags = Table(
    "search_document_tags",
    metadata,
    Column("tag_id", Integer, primary_key=True),
    Column("document_id", Integer, primary_key=True),
)

#: SQLite: the FTS5 table holding the documents of projects searched in English (porter
#: stemming) and the one holding every other language (no stemming). Both fold diacritics.
STEMMED = table("search_stemmed", column("rowid", Integer))
PLAIN = table("search_plain", column("rowid", Integer))
STEMMED_LANGUAGE = "english"

_FTS_SHADOWS = ("", "_data", "_idx", "_docsize", "_config", "_content")
SEARCH_TABLES = frozenset(
    {"search_documents", "search_document_tags"}
    | {f"{fts.name}{suffix}" for fts in (STEMMED, PLAIN) for suffix in _FTS_SHADOWS}
)


def is_search_table(name: str | None) -> bool:
    """Whether ``name`` is one of the index's tables (FTS5 shadow tables included)."""
    return name in SEARCH_TABLES
