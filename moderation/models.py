"""Home of the moderation tables (reports, cases, actions, audit log) — none yet.

Models defined here share :data:`talk.extensions.db`, so Alembic sees them alongside the core's.
"""
