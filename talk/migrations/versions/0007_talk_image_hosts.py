"""image hosts

``projects.image_hosts``: the hosts whose images a project's comments show inline (its IIIF and
image servers); an image from any other host is rendered as a link, so reading a comment sends
nobody's address to a host the project did not choose. Existing projects trust none, so the
images in comments already stored become links here, as rendering them now would make them;
a project that lists its hosts later has its comments with images rendered again.

Revision ID: 0007_talk_image_hosts
Revises: 0006_session_tokens
Create Date: 2026-11-29 16:00:00

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_talk_image_hosts'
down_revision = '0006_session_tokens'
branch_labels = None
depends_on = None


# The stored HTML is bleach's output: every attribute double-quoted and escaped.
_IMAGE = re.compile(r"<img\b([^>]*)>")
_ATTRIBUTE = re.compile(r'([a-zA-Z-]+)="([^"]*)"')


def image_as_link(match: re.Match) -> str:
    """An ``<img>`` tag as the link ``talk.markdown.render`` makes of an untrusted image."""
    attributes = dict(_ATTRIBUTE.findall(match.group(1)))
    src, alt = attributes.get("src", ""), attributes.get("alt", "")
    if not src:
        return alt
    text = f"Image: {alt}" if alt else "Image"
    return f'<a href="{src}" rel="nofollow ugc noopener">{text}</a>'


def upgrade():
    op.add_column(
        'projects',
        sa.Column('image_hosts', sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    connection = op.get_bind()
    comments = sa.table('comments', sa.column('id', sa.Integer), sa.column('body_html', sa.Text))
    with_images = connection.execute(
        sa.select(comments.c.id, comments.c.body_html).where(
            comments.c.body_html.contains('<img')
        )
    ).all()
    for comment_id, body_html in with_images:
        connection.execute(
            comments.update()
            .where(comments.c.id == comment_id)
            .values(body_html=_IMAGE.sub(image_as_link, body_html))
        )


def downgrade():
    op.drop_column('projects', 'image_hosts')
