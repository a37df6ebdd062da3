"""talk search tag ids: PostgreSQL's tag filter as a GIN bitmap beside the words' bitmap

PostgreSQL only (SQLite: nothing; its filter stays the range scan of 0033's table). Each search
document gets ``tag_ids integer[]``, the tags ``search_document_tags`` holds for it, with a GIN
index. The tag filter ``tag_ids @> ARRAY[tag]`` is then a bitmap of the tag's documents (30,088
at 1,000,000 comments: 11 buffers, 2–6 ms) that PostgreSQL ANDs with the GIN bitmap of the
words, reading only the heap pages of documents having both (661 pages). Before, it read the heap
row of every match of the words to test the tag (42,000 pages, 350–550 ms; docs/search.md,
"Fifth round"); a bound list of the tag's document ids needs one primary-key probe per id (37 ms).

A trigger on ``search_document_tags`` keeps the column equal to that table (which 0033's triggers
keep equal to the sources): a pair added appends its tag to the document's array, a pair removed
removes it. It updates ``tag_ids`` only, so the ``tsv`` trigger does not run again.

Revision ID: 0034_talk_search_tag_ids
Revises: 0033_talk_search_document_tags
Create Date: 2026-11-30 10:00:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0034_talk_search_tag_ids"
down_revision = "0033_talk_search_document_tags"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_documents ADD COLUMN tag_ids integer[]")
    op.execute(
        """
        CREATE FUNCTION talk_search_tag_ids() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP <> 'INSERT' THEN
            UPDATE search_documents SET tag_ids = array_remove(tag_ids, OLD.tag_id)
            WHERE id = OLD.document_id AND tag_ids @> ARRAY[OLD.tag_id];
          END IF;
          IF TG_OP <> 'DELETE' THEN
            UPDATE search_documents
            SET tag_ids = array_append(coalesce(tag_ids, '{}'), NEW.tag_id)
            WHERE id = NEW.document_id AND NOT coalesce(tag_ids @> ARRAY[NEW.tag_id], false);
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER search_tag_ids AFTER INSERT OR DELETE OR UPDATE ON search_document_tags "
        "FOR EACH ROW EXECUTE FUNCTION talk_search_tag_ids()"
    )
    # What exists already (the trigger sees later writes only).
    op.execute(
        "UPDATE search_documents d SET tag_ids = pairs.tag_ids FROM ("
        "SELECT document_id, array_agg(tag_id ORDER BY tag_id) AS tag_ids "
        "FROM search_document_tags GROUP BY document_id) AS pairs "
        "WHERE d.id = pairs.document_id"
    )
    op.execute("CREATE INDEX ix_search_documents_tag_ids ON search_documents USING gin (tag_ids)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS search_tag_ids ON search_document_tags")
    op.execute("DROP FUNCTION IF EXISTS talk_search_tag_ids()")
    op.execute("DROP INDEX IF EXISTS ix_search_documents_tag_ids")
    op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS tag_ids")
