"""The HTML pages: thin views over :mod:`talk.services`."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user

from talk import policy
from talk.extensions import db, login_manager
from talk.models import User


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to do that."

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    @app.context_processor
    def permission_helpers() -> dict[str, Any]:
        def may(action: str, target: Any = None) -> bool:
            return policy.may(current_user, action, target)

        return {"may": may}
