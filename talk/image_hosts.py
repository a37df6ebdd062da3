"""Which hosts a project trusts for images in its comments, and whether an image URL is on one
of them: names compared as DNS compares them, so no look-alike, user name or port sneaks past."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

IMAGE_HOST_PROBLEM = (
    "Give a host name such as images.example.org, or .example.org for it and its subdomains "
    "(no scheme, port or path)."
)
_HOST_LABELS = re.compile(
    r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)


def _ascii_host(name: str) -> str | None:
    """``name`` as DNS sees it: IDNA (``bücher.example`` → ``xn--bcher-kva.example``), lower
    case, without a final dot; None if it is no host name."""
    name = name.strip().rstrip(".")
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return ascii_name if len(ascii_name) <= 253 and _HOST_LABELS.fullmatch(ascii_name) else None


def image_host(entry: str) -> str | None:
    """A trusted image host as stored: ``images.example.org``, or ``.example.org`` (that host
    and its subdomains), in ASCII and lower case; None if ``entry`` is not one."""
    if not isinstance(entry, str):
        return None
    entry = entry.strip()
    wildcard = entry.startswith(".")
    host = _ascii_host(entry[1:] if wildcard else entry)
    if host is None:
        return None
    return f".{host}" if wildcard else host


def image_shown(url: str, hosts: Iterable[str]) -> bool:
    r"""Whether an image at ``url`` may be shown inline: HTTPS, no user name or password, no
    character browsers and Python read differently (``\``, spaces, controls), and a host among
    ``hosts`` (as :func:`image_host` stores them), compared as DNS compares names."""
    if (
        not isinstance(url, str)
        or "\\" in url
        or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url)
    ):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError:
        return False
    if parts.scheme.lower() != "https" or "@" in parts.netloc or not parts.hostname:
        return False
    host = _ascii_host(unquote(parts.hostname))
    if host is None:
        return False
    return any(
        host == trusted
        or (trusted.startswith(".") and (host == trusted[1:] or host.endswith(trusted)))
        for trusted in hosts
    )
