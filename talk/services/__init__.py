"""Talk's operations: each checks permission, validates, changes state, flushes, and signals.

Views, the JSON API, the CLI and tests all call these; none of them commits — the request (or
command) boundary commits once, so a multi-step operation is all-or-nothing.
"""
