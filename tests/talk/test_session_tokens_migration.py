"""Migration 0006 gives every existing account a session token of its own, and undoes cleanly."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from talk.extensions import db
from talk.services import accounts


@pytest.mark.commits  # the migrations run on a connection of their own (db.engine)
def test_existing_accounts_get_distinct_session_tokens(app, make):
    from flask_migrate import downgrade, upgrade

    make.user("grace")
    make.user("ada")
    with app.app_context():
        db.session.remove()
        downgrade(revision="0005_hidden_comments")
        columns = db.session.execute(text("SELECT * FROM users")).keys()
        db.session.remove()
        upgrade()
        rows = db.session.execute(text("SELECT id, session_token FROM users ORDER BY id")).all()
        assert "session_token" not in columns
        tokens = [token for _, token in rows]
        assert len(rows) == 2
        assert all(len(token) >= 32 for token in tokens)
        assert len(set(tokens)) == 2
        user_id, token = rows[0]
        assert accounts.user_for_session(f"{user_id}:{token}").username == "grace"
        assert accounts.user_for_session(str(user_id)) is None  # a pre-0006 session id
