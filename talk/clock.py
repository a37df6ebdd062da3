"""The one source of "now". Tests inject a clock through ``app.config["TALK_CLOCK"]``."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, has_app_context


def utcnow() -> datetime:
    if has_app_context():
        clock = current_app.config.get("TALK_CLOCK")
        if clock is not None:
            return clock()
    return datetime.now(UTC)
