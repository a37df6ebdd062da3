from talk.extensions import db
from talk.models import Discussion, Item, Project


def test_services_keep_counters(app, make):
    project = make.project()
    volunteer = make.user()
    item = make.item(project)
    discussion = make.discussion(project, volunteer, item=item)
    make.comment(discussion, make.user())
    with app.app_context():
        assert db.session.get(Discussion, discussion.id).comment_count == 2
        stored_item = db.session.get(Item, item.id)
        assert (stored_item.discussion_count, stored_item.comment_count) == (1, 2)
        assert db.session.get(Project, project.id).comment_count == 2
