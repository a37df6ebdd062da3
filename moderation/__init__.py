"""Reports, moderation actions, watched words and audit (filled by later issues).

It reaches into the core only through :mod:`talk.signals` and the vetoes and content checks of
:mod:`talk.policy`.
"""
