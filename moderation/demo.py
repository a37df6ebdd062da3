"""Moderation's part of ``talk demo``: a content warning on a register page, the workflow
hashtags configured, and one volunteer's ``#help`` waiting on the review list. Written through
the services, as the staff and a volunteer would (``talk.demo.DEMO_DATA``)."""

from __future__ import annotations

from sqlalchemy import select

from moderation import content_warnings, workflow
from talk.extensions import db
from talk.models import Discussion, Item, Project, User
from talk.policy import items_board
from talk.services import discussions

#: The register page that carries the warning (the demo's first register page).
WARNED_ITEM = "73200001"
WARNING_TITLE = "Historic language"
WARNING_TEXT = (
    "This register records the reasons patients were admitted in the words of the 1890s, "
    "including terms about mental illness and disability that are offensive today. We keep "
    "them as written so the record can be transcribed exactly."
)
FLAGS = (
    ("help", "A volunteer asks for help with this item."),
    ("correction", "Something in the item's record looks wrong."),
    ("tricky-writing", "Handwriting nobody has read yet."),
)


def add_demo_data(project: Project, people: dict[str, User]) -> None:
    curator, team = people["eleanor"], people["tomas"]
    for name, description in FLAGS:
        workflow.add_flag(team, project, name, description)
    item = db.session.scalar(
        select(Item).where(Item.project_id == project.id, Item.external_id == WARNED_ITEM)
    )
    if item is None:  # a smaller demo collection: warn on the first item instead
        item = db.session.scalars(select(Item).where(Item.project_id == project.id)).first()
    if item is None:
        return
    warning = content_warnings.create_warning(curator, project, WARNING_TITLE, WARNING_TEXT)
    content_warnings.attach(curator, warning, item)
    discussion = db.session.scalars(
        select(Discussion).where(Discussion.item_id == item.id).order_by(Discussion.id)
    ).first()
    body = "I can't make out the word after 'admitted for' on line 3. #help #tricky-writing"
    if discussion is None:
        discussions.start_discussion(
            people["fern_finder"], items_board(project), "Line 3", body, item=item
        )
    else:
        discussions.post_comment(people["fern_finder"], discussion, body)
