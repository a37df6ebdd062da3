"""What every response carries and every request must name: security headers and allowed hosts.

Both are WSGI middleware rather than Flask hooks, so that they cover what Flask never sees: the
API's 414 (:func:`talk.api.errors.uri_length_guard`), static files, error pages and the host
refusal itself. The headers are a short, fixed list; a library (flask-talisman) would add an
HTTPS redirect and per-view options Talk does not need, so they are written out here.

The ``Host`` header (or, behind trusted proxies, ``X-Forwarded-Host``) names the site in every
absolute URL Talk writes (the API's ``url`` and ``api_url`` fields, redirects). A request naming a
host outside ``TALK_ALLOWED_HOSTS`` is refused with 400 before Flask reads it, so no answer can
ever carry a host a client made up.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from werkzeug.sansio.utils import host_is_trusted
from werkzeug.wsgi import get_path_info

#: The Content-Security-Policy of every response. Scripts and styles only from this site's own
#: files (no inline script, no ``style=""``, no ``on*=`` handlers: templates keep to that);
#: images from anywhere over http(s), because items' images and IIIF thumbnails come from the
#: projects' own image servers (comments' images are limited to each project's trusted image
#: hosts when rendered, see :mod:`talk.markdown`); fetches from the site and any https host, as
#: the image viewer reads IIIF ``info.json`` and manifests from those servers (only the site's
#: own scripts run, so nothing else can fetch); no plugins, no framing, no ``<base>``.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: http:",
        "connect-src 'self' https:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

#: HSTS when cookies are marked Secure (``TALK_SECURE_COOKIES``): the site is served over HTTPS.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def security_headers(*, https: bool) -> list[tuple[str, str]]:
    """The headers added to every response (``https``: the site is served over HTTPS only)."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if https:
        headers.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
    return headers


def with_security_headers(wsgi_app: Any, config: Mapping[str, Any]) -> Any:
    """``wsgi_app`` adding :func:`security_headers` to every response that does not set its own;
    HSTS while ``config["SESSION_COOKIE_SECURE"]`` (``TALK_SECURE_COOKIES``) is on."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        added = security_headers(https=bool(config["SESSION_COOKIE_SECURE"]))

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            headers = headers + [(n, v) for n, v in added if n.lower() not in present]
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return app


@functools.cache
def parse_hosts(raw: str) -> tuple[str, ...]:
    """``TALK_ALLOWED_HOSTS``: comma-separated host names, lower-cased, without ports;
    ``.example.org`` also allows its subdomains, ``*`` allows any host."""
    hosts = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if not hosts:
        raise ValueError("name at least one host (or * for any)")
    for host in hosts:
        if host != "*" and not host_is_trusted(host.lstrip(".")):
            raise ValueError(f"{host!r} is not a host name (no scheme, port or path)")
    return hosts


def _host_name(host: str) -> str | None:
    """The name in a ``Host`` header value (``[::1]:5000`` → ``[::1]``), None if malformed."""
    host = host.lower()
    if not host_is_trusted(host):  # checks the characters and the port only
        return None
    if host.startswith("["):
        return host[: host.index("]") + 1]
    return host.rpartition(":")[0] if ":" in host else host


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether a request naming ``host`` (a ``Host`` header value) is for this site."""
    name = _host_name(host)
    if name is None:
        return False
    name = name.rstrip(".") if not name.startswith("[") else name
    for ref in allowed:
        if ref in ("*", name) or (ref.startswith(".") and (name == ref[1:] or name.endswith(ref))):
            return True
    return False


def requested_host(environ: dict[str, Any]) -> str:
    """The host a request names, as werkzeug reads it: ``Host``, else the server's name."""
    if "HTTP_HOST" in environ:  # even empty: werkzeug would build URLs with it
        return str(environ["HTTP_HOST"])
    return str(environ.get("SERVER_NAME", ""))


def host_guard(wsgi_app: Any, config: Mapping[str, Any], *, api_prefix: str = "/api") -> Any:
    """``wsgi_app`` refusing (400) every request whose host is not one of
    ``config["TALK_ALLOWED_HOSTS"]``: JSON in the API's error shape under ``api_prefix``, a short
    page otherwise. The refusal never repeats the host it refuses."""

    def guarded(environ: dict[str, Any], start_response: Any) -> Any:
        allowed = parse_hosts(config["TALK_ALLOWED_HOSTS"])
        if host_allowed(requested_host(environ), allowed):
            return wsgi_app(environ, start_response)
        message = "This server does not answer for the host this request names."
        path = get_path_info(environ)
        if path == api_prefix or path.startswith(api_prefix + "/"):
            error = {"code": "bad_host", "message": message, "fields": {}}
            body = json.dumps({"error": error}).encode()
            content_type = "application/json"
        else:
            body = (
                '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                "<title>Bad request · Talk</title></head><body><h1>Bad request</h1>"
                f"<p>{escape(message)}</p></body></html>"
            ).encode()
            content_type = "text/html; charset=utf-8"
        start_response(
            "400 Bad Request",
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]

    return guarded
