"""Who may do what with email (the questions are named here; talk.policy answers them)."""

from __future__ import annotations

from typing import Any

from talk import policy


@policy.rule("mail.admin")
def _mail_admin(user: Any, _target: Any) -> bool:
    """The local mailbox and the delivery log show everyone's email: site admins only."""
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_site_admin", False)
    )
