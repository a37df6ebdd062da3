"""Follows, notifications, email, digests and newsletters (filled by later issues).

Subscribes to the core's signals in :mod:`talk.signals`; the core never imports this package.
"""
