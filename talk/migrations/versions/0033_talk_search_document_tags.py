"""talk search document tags: a search's tag filter read by one range scan

``search_document_tags (tag_id, document_id)``: for each search document, the tags its source
carries — a comment's hashtags (``tag_uses``), a discussion's (``discussion_tags``), an item's
(``item_tags``) — and a tag's own document under its own id, which is what a search's tag filter
has to find (``talk.search.filters.tagged_documents``). Before, the filter built that set on
every search with one ``search_documents (kind, source_id)`` probe per use: 30,000 probes for a
common tag at 1,000,000 comments (35 ms on SQLite, 200–310 ms on PostgreSQL, docs/search.md).
Now it is one range scan of the primary key (SQLite: a ``WITHOUT ROWID`` table, so the scan
reads the key alone).

Like ``search_documents`` it is kept by triggers, so every write path keeps it exact: a row
appears when a tagged source gets its document (or a source with a document gets a tag) and goes
when either goes; moving a use to another tag or source (merging tags, moving a thread) moves it.
An index on ``document_id`` serves the document's deletion.

Revision ID: 0033_talk_search_document_tags
Revises: 0032_talk_unlisted_discussions
Create Date: 2026-11-30 06:30:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0033_talk_search_document_tags"
down_revision = "0032_talk_unlisted_discussions"
branch_labels = None
depends_on = None

TABLE = "search_document_tags"
#: The tables giving a document its tags: the column naming the source, and the source's kind.
SOURCES = {
    "tag_uses": ("comment_id", "comment"),
    "discussion_tags": ("discussion_id", "discussion"),
    "item_tags": ("item_id", "item"),
}


def _tags_of_document(row):
    """(tag_id, document_id) of the document ``row`` (``NEW`` in a trigger)."""
    parts = [
        f"SELECT s.tag_id, {row}.id FROM {table} s "
        f"WHERE {row}.kind = '{kind}' AND s.{column} = {row}.source_id"
        for table, (column, kind) in SOURCES.items()
    ]
    parts.append(f"SELECT {row}.source_id, {row}.id WHERE {row}.kind = 'tag'")
    return " UNION ALL ".join(parts)


def _documents_of_source(table, row):
    """(tag_id, document_id) of the tag row ``row`` of ``table``: its source's document, if any."""
    column, kind = SOURCES[table]
    return (
        f"SELECT {row}.tag_id, d.id FROM search_documents d "
        f"WHERE d.kind = '{kind}' AND d.source_id = {row}.{column}"
    )


def _forget_source(table, row):
    column, kind = SOURCES[table]
    return (
        f"DELETE FROM {TABLE} WHERE tag_id = {row}.tag_id AND document_id IN "
        f"(SELECT d.id FROM search_documents d "
        f"WHERE d.kind = '{kind}' AND d.source_id = {row}.{column});"
    )


def _backfill():
    """What exists already (the triggers see later writes only), in key order."""
    documents = " UNION ALL ".join(
        f"SELECT s.tag_id AS tag_id, d.id AS document_id FROM {table} s "
        f"JOIN search_documents d ON d.kind = '{kind}' AND d.source_id = s.{column}"
        for table, (column, kind) in SOURCES.items()
    )
    op.execute(
        f"INSERT INTO {TABLE} (tag_id, document_id) SELECT tag_id, document_id FROM ("
        f"{documents} UNION ALL SELECT d.source_id, d.id FROM search_documents d "
        "WHERE d.kind = 'tag') AS pairs ORDER BY tag_id, document_id"
    )


# --------------------------------------------------------------------------- SQLite


def _sqlite_upgrade():
    op.execute(
        f"CREATE TABLE {TABLE} (tag_id INTEGER NOT NULL, document_id INTEGER NOT NULL, "
        f"CONSTRAINT pk_{TABLE} PRIMARY KEY (tag_id, document_id)) WITHOUT ROWID"
    )
    op.execute(
        "CREATE TRIGGER search_tags_documents_ai AFTER INSERT ON search_documents BEGIN "
        f"INSERT OR IGNORE INTO {TABLE} (tag_id, document_id) {_tags_of_document('NEW')}; END"
    )
    op.execute(
        "CREATE TRIGGER search_tags_documents_ad AFTER DELETE ON search_documents BEGIN "
        f"DELETE FROM {TABLE} WHERE document_id = OLD.id; END"
    )
    for table, (column, _kind) in SOURCES.items():
        add = f"INSERT OR IGNORE INTO {TABLE} (tag_id, document_id) {_documents_of_source(table, 'NEW')};"
        op.execute(f"CREATE TRIGGER search_tags_{table}_ai AFTER INSERT ON {table} BEGIN {add} END")
        op.execute(
            f"CREATE TRIGGER search_tags_{table}_ad AFTER DELETE ON {table} BEGIN "
            f"{_forget_source(table, 'OLD')} END"
        )
        op.execute(
            f"CREATE TRIGGER search_tags_{table}_au AFTER UPDATE OF tag_id, {column} ON {table} "
            f"BEGIN {_forget_source(table, 'OLD')} {add} END"
        )


def _sqlite_downgrade():
    for suffix in ("ai", "ad"):
        op.execute(f"DROP TRIGGER IF EXISTS search_tags_documents_{suffix}")
    for table in SOURCES:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS search_tags_{table}_{suffix}")


# --------------------------------------------------------------------------- PostgreSQL


def _pg_upgrade():
    op.create_table(
        TABLE,
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tag_id", "document_id", name=f"pk_{TABLE}"),
    )
    op.execute(
        """
        CREATE FUNCTION talk_search_tags_documents() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            DELETE FROM search_document_tags WHERE document_id = OLD.id;
          ELSE
            INSERT INTO search_document_tags (tag_id, document_id) """
        + _tags_of_document("NEW")
        + """
            ON CONFLICT DO NOTHING;
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER search_tags_documents AFTER INSERT OR DELETE ON search_documents "
        "FOR EACH ROW EXECUTE FUNCTION talk_search_tags_documents()"
    )
    for table, (column, _kind) in SOURCES.items():
        op.execute(
            f"""
            CREATE FUNCTION talk_search_tags_{table}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP <> 'INSERT' THEN
                {_forget_source(table, "OLD")}
              END IF;
              IF TG_OP <> 'DELETE' THEN
                INSERT INTO {TABLE} (tag_id, document_id) {_documents_of_source(table, "NEW")}
                ON CONFLICT DO NOTHING;
              END IF;
              RETURN NULL;
            END $$
            """
        )
        op.execute(
            f"CREATE TRIGGER search_tags_{table} AFTER INSERT OR DELETE OR UPDATE OF tag_id, "
            f"{column} ON {table} FOR EACH ROW EXECUTE FUNCTION talk_search_tags_{table}()"
        )


def _pg_downgrade():
    op.execute("DROP TRIGGER IF EXISTS search_tags_documents ON search_documents")
    op.execute("DROP FUNCTION IF EXISTS talk_search_tags_documents()")
    for table in SOURCES:
        op.execute(f"DROP TRIGGER IF EXISTS search_tags_{table} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS talk_search_tags_{table}()")


# --------------------------------------------------------------------------- both


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()
    _backfill()
    op.create_index(f"ix_{TABLE}_document", TABLE, ["document_id"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _pg_downgrade()
    else:
        _sqlite_downgrade()
    op.drop_table(TABLE)
