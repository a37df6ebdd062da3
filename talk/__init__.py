"""Talk: per-item discussion for heritage crowdsourcing projects."""

from talk.app import create_app

__all__ = ["create_app"]
