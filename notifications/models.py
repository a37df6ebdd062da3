"""Home of the notification tables (follows, outbox, digests, newsletters) — none yet.

Models defined here share :data:`talk.extensions.db`, so Alembic sees them alongside the core's.
"""
