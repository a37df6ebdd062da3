"""full-text search: one search_documents table kept by database triggers, indexed by FTS5
(SQLite) or a tsvector column with a GIN index (PostgreSQL)

Every searchable thing — a live comment, a discussion title, an item (title, external id and
metadata values), a tag — has one row in ``search_documents``, written by triggers on its source
table. So every write path (pages, API, CLI import, bulk inserts, plain SQL) keeps the index
exact without any service code. A soft-deleted comment loses its row; restoring it (clearing
``deleted_at``) brings it back.

SQLite: two FTS5 external-content tables over ``search_documents`` (``search_stemmed``: porter
stemming for projects searched in English; ``search_plain``: no stemming, every other language),
both ``unicode61 remove_diacritics 2``, so "eglise" finds "Église". Triggers on
``search_documents`` keep them in step.

PostgreSQL: a ``tsvector`` column filled by a trigger from per-language text search
configurations ``talk_<language>`` — copies of the built-in ones with ``unaccent`` in front of
their dictionaries, so accents fold exactly as on SQLite — and a GIN index.

Neither the table nor the triggers are SQLAlchemy models: ``talk.search.schema`` describes them
for queries, and the models-vs-migrations check leaves them out (``is_search_table``).

TODO (moderation, later issue): when comments can be hidden, add ``AND NEW.hidden_at IS NULL``
(or the moderation's equivalent) to the comment triggers' "is visible" condition in a new
migration; the query-time filter needs no change.

Revision ID: 0003_search
Revises: 0002_hashtags
Create Date: 2026-11-25 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_search'
down_revision = '0002_hashtags'
branch_labels = None
depends_on = None

DOC_COLUMNS = (
    "kind, source_id, project_id, board_id, discussion_id, item_id, author_id, created_at, "
    "language, title, body"
)
# On conflict (the source row was indexed already) refresh everything that can change.
REFRESH = (
    "ON CONFLICT (kind, source_id) DO UPDATE SET project_id = excluded.project_id, "
    "board_id = excluded.board_id, discussion_id = excluded.discussion_id, "
    "item_id = excluded.item_id, author_id = excluded.author_id, language = excluded.language, "
    "title = excluded.title, body = excluded.body"
)
SOURCE_TABLES = ("comments", "discussions", "items", "tags")


def _language(dialect, project_id):
    """The project's search language (``settings.search_language``, default English)."""
    if dialect == "postgresql":
        return f"talk_search_language({project_id})"
    return (
        "COALESCE((SELECT json_extract(p.settings, '$.search_language') FROM projects p "
        f"WHERE p.id = {project_id}), 'english')"
    )


def _metadata_text(dialect, row):
    if dialect == "postgresql":
        return f"COALESCE((SELECT string_agg(j.value, ' ') FROM json_each_text({row}.metadata) j), '')"
    return f"COALESCE((SELECT group_concat(j.value, ' ') FROM json_each({row}.metadata) j), '')"


def _document_selects(dialect, row, *, backfill=False):
    """For each source table: the SELECT producing its document from ``row`` (``NEW`` in a
    trigger; in the backfill, every row of the table under the alias ``row``) — nothing when
    the row must not be found."""
    lang = _language(dialect, f"{row}.project_id")

    def source(table):
        return f" FROM {table} {row}" if backfill else ""

    comment_from = (
        f"FROM comments {row} JOIN discussions d ON d.id = {row}.discussion_id "
        f"WHERE {row}.deleted_at IS NULL"
        if backfill
        else f"FROM discussions d WHERE d.id = {row}.discussion_id AND {row}.deleted_at IS NULL"
    )
    return {
        "comments": (
            f"SELECT 'comment', {row}.id, {row}.project_id, d.board_id, d.id, d.item_id, "
            f"{row}.author_id, {row}.created_at, {lang}, '', {row}.body {comment_from}"
        ),
        "discussions": (
            f"SELECT 'discussion', {row}.id, {row}.project_id, {row}.board_id, {row}.id, "
            f"{row}.item_id, {row}.author_id, {row}.created_at, {lang}, {row}.title, ''"
            f"{source('discussions')}"
        ),
        "items": (
            f"SELECT 'item', {row}.id, {row}.project_id, NULL, NULL, {row}.id, NULL, "
            f"{row}.created_at, {lang}, {row}.title, "
            f"{row}.external_id || ' ' || {_metadata_text(dialect, row)}{source('items')}"
        ),
        "tags": (
            f"SELECT 'tag', {row}.id, {row}.project_id, NULL, NULL, NULL, NULL, "
            f"{row}.created_at, {lang}, {row}.name, ''{source('tags')} "
            f"WHERE {row}.use_count > 0"
        ),
    }


KINDS = {"comments": "comment", "discussions": "discussion", "items": "item", "tags": "tag"}
# The columns whose change re-indexes a row.
WATCHED = {
    "comments": "body, deleted_at, discussion_id",
    "discussions": "title, board_id, item_id",
    "items": "title, external_id, metadata",
    "tags": "name, use_count",
}
# Rows that must not be found: a soft-deleted comment, a tag nobody uses any more (its page
# answers 404 too). Their document is removed; it comes back when they do.
HIDDEN = {"comments": "NEW.deleted_at IS NOT NULL", "tags": "NEW.use_count <= 0"}
# A tag's counter changes with every comment using it: re-index only when that matters.
SQLITE_WHEN = {"tags": "WHEN NEW.name IS NOT OLD.name OR (OLD.use_count > 0) <> (NEW.use_count > 0)"}


def _create_table():
    op.create_table(
        'search_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('board_id', sa.Integer(), nullable=True),
        sa.Column('discussion_id', sa.Integer(), nullable=True),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('language', sa.String(length=64), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['project_id'], ['projects.id'],
            name='fk_search_documents_project_id_projects', ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name='pk_search_documents'),
        sa.UniqueConstraint('kind', 'source_id', name='uq_search_documents_kind_source'),
    )
    op.create_index('ix_search_documents_discussion', 'search_documents', ['discussion_id'])
    op.create_index('ix_search_documents_item', 'search_documents', ['item_id'])
    op.create_index('ix_search_documents_author', 'search_documents', ['author_id'])
    op.create_index('ix_search_documents_project', 'search_documents', ['project_id', 'created_at'])


# --------------------------------------------------------------------------- SQLite


def _sqlite_upgrade():
    for name, tokenizer in (
        ("search_stemmed", "porter unicode61 remove_diacritics 2"),
        ("search_plain", "unicode61 remove_diacritics 2"),
    ):
        op.execute(
            f"CREATE VIRTUAL TABLE {name} USING fts5(title, body, content='search_documents', "
            f"content_rowid='id', tokenize='{tokenizer}')"
        )

    def fts_insert(row):
        return (
            f"INSERT INTO search_stemmed(rowid, title, body) SELECT {row}.id, {row}.title, "
            f"{row}.body WHERE {row}.language = 'english'; "
            f"INSERT INTO search_plain(rowid, title, body) SELECT {row}.id, {row}.title, "
            f"{row}.body WHERE {row}.language <> 'english';"
        )

    def fts_delete(row):
        return (
            f"INSERT INTO search_stemmed(search_stemmed, rowid, title, body) SELECT 'delete', "
            f"{row}.id, {row}.title, {row}.body WHERE {row}.language = 'english'; "
            f"INSERT INTO search_plain(search_plain, rowid, title, body) SELECT 'delete', "
            f"{row}.id, {row}.title, {row}.body WHERE {row}.language <> 'english';"
        )

    op.execute(
        "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
        f"{fts_insert('NEW')} END"
    )
    op.execute(
        "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
        f"{fts_delete('OLD')} END"
    )
    op.execute(
        "CREATE TRIGGER search_documents_au AFTER UPDATE OF title, body, language "
        f"ON search_documents BEGIN {fts_delete('OLD')} {fts_insert('NEW')} END"
    )

    selects = _document_selects("sqlite", "NEW")
    for table in SOURCE_TABLES:
        kind = KINDS[table]
        upsert = f"INSERT INTO search_documents ({DOC_COLUMNS}) {_with_where(selects[table])} {REFRESH};"
        op.execute(f"CREATE TRIGGER search_{table}_ai AFTER INSERT ON {table} BEGIN {upsert} END")
        forget = ""
        if table in HIDDEN:
            forget = (
                f"DELETE FROM search_documents WHERE kind = '{kind}' AND source_id = NEW.id "
                f"AND {HIDDEN[table]};"
            )
        follow = ""
        if table == "discussions":
            follow = (
                "UPDATE search_documents SET board_id = NEW.board_id, item_id = NEW.item_id "
                "WHERE discussion_id = NEW.id AND kind = 'comment' "
                "AND (board_id IS NOT NEW.board_id OR item_id IS NOT NEW.item_id);"
            )
        op.execute(
            f"CREATE TRIGGER search_{table}_au AFTER UPDATE OF {WATCHED[table]} ON {table} "
            f"{SQLITE_WHEN.get(table, '')} BEGIN {forget} {upsert} {follow} END"
        )
        gone = f"DELETE FROM search_documents WHERE kind = '{kind}' AND source_id = OLD.id;"
        if table == "discussions":
            gone = "DELETE FROM search_documents WHERE discussion_id = OLD.id;"
        op.execute(f"CREATE TRIGGER search_{table}_ad AFTER DELETE ON {table} BEGIN {gone} END")

    language = "COALESCE(json_extract(NEW.settings, '$.search_language'), 'english')"
    op.execute(
        "CREATE TRIGGER search_projects_au AFTER UPDATE OF settings ON projects BEGIN "
        f"UPDATE search_documents SET language = {language} "
        f"WHERE project_id = NEW.id AND language <> {language}; END"
    )


def _with_where(select):
    """SQLite parses ``INSERT … SELECT … ON CONFLICT`` only when the SELECT has a WHERE."""
    return select if " WHERE " in select else f"{select} WHERE true"


def _sqlite_downgrade():
    for table in SOURCE_TABLES:
        for suffix in ("ai", "au", "ad"):
            op.execute(f"DROP TRIGGER IF EXISTS search_{table}_{suffix}")
    op.execute("DROP TRIGGER IF EXISTS search_projects_au")
    for suffix in ("ai", "au", "ad"):
        op.execute(f"DROP TRIGGER IF EXISTS search_documents_{suffix}")
    op.execute("DROP TABLE IF EXISTS search_stemmed")
    op.execute("DROP TABLE IF EXISTS search_plain")


# --------------------------------------------------------------------------- PostgreSQL

# Copies of the built-in configurations with unaccent in front of the dictionaries of the token
# types that can carry accents (asciiword and friends cannot): talk_english, talk_simple, ...
PG_CONFIGURATIONS = """
DO $$
DECLARE
  source record;
  mapping record;
  target text;
BEGIN
  FOR source IN
    SELECT c.oid, c.cfgname FROM pg_ts_config c
    JOIN pg_namespace n ON n.oid = c.cfgnamespace
    WHERE n.nspname = 'pg_catalog'
  LOOP
    target := quote_ident('talk_' || source.cfgname);
    EXECUTE 'CREATE TEXT SEARCH CONFIGURATION ' || target
      || ' (COPY = pg_catalog.' || quote_ident(source.cfgname) || ')';
    FOR mapping IN
      SELECT t.alias,
             string_agg(quote_ident(dn.nspname) || '.' || quote_ident(d.dictname), ', '
                        ORDER BY m.mapseqno) AS dicts
      FROM pg_ts_config_map m
      JOIN pg_ts_dict d ON d.oid = m.mapdict
      JOIN pg_namespace dn ON dn.oid = d.dictnamespace
      JOIN ts_token_type('default') t ON t.tokid = m.maptokentype
      WHERE m.mapcfg = source.oid
        AND t.alias IN ('word', 'hword', 'hword_part', 'numword', 'numhword', 'hword_numpart')
      GROUP BY t.alias
    LOOP
      EXECUTE 'ALTER TEXT SEARCH CONFIGURATION ' || target || ' ALTER MAPPING FOR '
        || mapping.alias || ' WITH unaccent, ' || mapping.dicts;
    END LOOP;
  END LOOP;
END $$
"""

PG_DROP_CONFIGURATIONS = """
DO $$
DECLARE
  config record;
BEGIN
  FOR config IN
    SELECT c.cfgname FROM pg_ts_config c
    WHERE c.cfgname LIKE 'talk!_%' ESCAPE '!' AND pg_ts_config_is_visible(c.oid)
  LOOP
    EXECUTE 'DROP TEXT SEARCH CONFIGURATION ' || quote_ident(config.cfgname);
  END LOOP;
END $$
"""

PG_FUNCTIONS = (
    """
    CREATE FUNCTION talk_search_language(p_project integer) RETURNS text
    LANGUAGE sql STABLE AS $$
      SELECT COALESCE(
        (SELECT p.settings ->> 'search_language' FROM projects p WHERE p.id = p_project),
        'english')
    $$
    """,
    # The configuration of a language: talk_<language>, or talk_simple for a name that has none
    # (the services refuse such names; this keeps a hand-edited project from breaking writes).
    """
    CREATE FUNCTION talk_search_config(p_language text) RETURNS regconfig
    LANGUAGE sql STABLE AS $$
      SELECT COALESCE(
        (SELECT c.oid::regconfig FROM pg_ts_config c
         WHERE c.cfgname = 'talk_' || p_language AND pg_ts_config_is_visible(c.oid)),
        (SELECT c.oid::regconfig FROM pg_ts_config c
         WHERE c.cfgname = 'talk_simple' AND pg_ts_config_is_visible(c.oid)))
    $$
    """,
    """
    CREATE FUNCTION talk_search_documents_tsv() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
      config regconfig := talk_search_config(NEW.language);
    BEGIN
      NEW.tsv := setweight(to_tsvector(config, NEW.title), 'A')
              || setweight(to_tsvector(config, NEW.body), 'B');
      RETURN NEW;
    END $$
    """,
)


def _pg_source_function(table):
    kind = KINDS[table]
    select = _document_selects("postgresql", "NEW")[table]
    forget = ""
    if table in HIDDEN:
        forget = f"""
      IF {HIDDEN[table]} THEN
        DELETE FROM search_documents WHERE kind = '{kind}' AND source_id = NEW.id;
        RETURN NULL;
      END IF;"""
    if table == "tags":
        forget = f"""
      IF TG_OP = 'UPDATE' AND NEW.name = OLD.name
         AND (OLD.use_count > 0) = (NEW.use_count > 0) THEN
        RETURN NULL;
      END IF;{forget}"""
    gone = f"DELETE FROM search_documents WHERE kind = '{kind}' AND source_id = OLD.id;"
    follow = ""
    if table == "discussions":
        gone = "DELETE FROM search_documents WHERE discussion_id = OLD.id;"
        follow = """
      IF TG_OP = 'UPDATE' THEN
        UPDATE search_documents SET board_id = NEW.board_id, item_id = NEW.item_id
        WHERE discussion_id = NEW.id AND kind = 'comment'
          AND (board_id IS DISTINCT FROM NEW.board_id OR item_id IS DISTINCT FROM NEW.item_id);
      END IF;"""
    return f"""
    CREATE FUNCTION talk_search_{table}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        {gone}
        RETURN NULL;
      END IF;{forget}
      INSERT INTO search_documents ({DOC_COLUMNS}) {select} {REFRESH};{follow}
      RETURN NULL;
    END $$
    """


def _pg_upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute(PG_CONFIGURATIONS)
    op.execute("ALTER TABLE search_documents ADD COLUMN tsv tsvector NOT NULL")
    op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")
    for function in PG_FUNCTIONS:
        op.execute(function)
    op.execute(
        "CREATE TRIGGER search_documents_tsv BEFORE INSERT OR UPDATE OF title, body, language "
        "ON search_documents FOR EACH ROW EXECUTE FUNCTION talk_search_documents_tsv()"
    )
    for table in SOURCE_TABLES:
        op.execute(_pg_source_function(table))
        op.execute(
            f"CREATE TRIGGER search_{table} AFTER INSERT OR DELETE OR UPDATE OF {WATCHED[table]} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION talk_search_{table}()"
        )
    op.execute(
        """
        CREATE FUNCTION talk_search_projects() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE search_documents
          SET language = COALESCE(NEW.settings ->> 'search_language', 'english')
          WHERE project_id = NEW.id
            AND language <> COALESCE(NEW.settings ->> 'search_language', 'english');
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER search_projects AFTER UPDATE OF settings ON projects "
        "FOR EACH ROW EXECUTE FUNCTION talk_search_projects()"
    )


def _pg_downgrade():
    for table in (*SOURCE_TABLES, "projects"):
        op.execute(f"DROP TRIGGER IF EXISTS search_{table} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS talk_search_{table}()")
    op.execute("DROP TRIGGER IF EXISTS search_documents_tsv ON search_documents")
    op.execute("DROP FUNCTION IF EXISTS talk_search_documents_tsv()")
    op.execute("DROP FUNCTION IF EXISTS talk_search_config(text)")
    op.execute("DROP FUNCTION IF EXISTS talk_search_language(integer)")
    op.execute(PG_DROP_CONFIGURATIONS)
    # The unaccent extension stays: other things may use it.


# --------------------------------------------------------------------------- both


def _backfill(dialect):
    """Index what exists already (the triggers only see later writes)."""
    selects = _document_selects(dialect, "src", backfill=True)
    for table in SOURCE_TABLES:
        op.execute(f"INSERT INTO search_documents ({DOC_COLUMNS}) {selects[table]}")


def upgrade():
    dialect = op.get_bind().dialect.name
    _create_table()
    if dialect == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()
    _backfill(dialect)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _pg_downgrade()
    else:
        _sqlite_downgrade()
    op.drop_table('search_documents')
