"""Fixtures of the moderation tests."""

from tests.moderation.people import notices, world  # noqa: F401
