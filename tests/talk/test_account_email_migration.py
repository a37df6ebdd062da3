"""Migration 0011: accounts from before it are unverified except site admins, all in UTC, none
disabled; and it undoes cleanly."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from talk.extensions import db


@pytest.mark.commits  # the migrations run on a connection of their own (db.engine)
def test_existing_accounts_are_unverified_except_site_admins(app, make):
    from flask_migrate import downgrade, upgrade

    make.user("grace")
    make.admin()
    with app.app_context():
        db.session.remove()
        downgrade(revision="0010_talk_item_list_indexes")
        columns = {c["name"] for c in inspect(db.engine).get_columns("users")}
        tables = set(inspect(db.engine).get_table_names())
        db.session.remove()
        upgrade()
        rows = db.session.execute(
            text(
                "SELECT is_site_admin, email_verified_at IS NOT NULL, time_zone, disabled_at "
                "FROM users ORDER BY id"
            )
        ).all()
    assert not {"email_verified_at", "time_zone", "disabled_at"} & columns
    assert "pending_registrations" not in tables
    assert [tuple(row) for row in rows] == [(False, False, "UTC", None), (True, True, "UTC", None)]
