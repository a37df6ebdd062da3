"""What a newsletter email says: subject, plain-text and HTML parts and headers, for one
recipient (with their personal block) or for nobody (the archive, a preview)."""

from __future__ import annotations

from dataclasses import dataclass, field

from notifications.newsletter_models import Newsletter
from talk.models import User


@dataclass
class RenderedMail:
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


def render(newsletter: Newsletter, recipient: User | None = None) -> RenderedMail:
    """The email of ``newsletter`` for ``recipient`` (None: without a personal block or
    unsubscribe link, as the archive shows it)."""
    return RenderedMail(subject=newsletter.subject, text=newsletter.body, html="")
