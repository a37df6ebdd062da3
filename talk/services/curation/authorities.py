"""Authority files a curated tag may link to (Wikidata, Getty AAT, GBIF, VIAF, …): what a URI
names, for display and exports, and the check that a link is a web address."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from talk.errors import InvalidInput
from talk.limits import MAX_AUTHORITY_URI

#: Authority files Talk recognises in a URI, with the pattern of their identifiers.
AUTHORITIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Wikidata", re.compile(r"^https?://(?:www\.|m\.)?wikidata\.org/(?:wiki|entity)/(Q\d+)$")),
    ("Getty AAT", re.compile(r"^https?://vocab\.getty\.edu/(?:page/)?aat/(\d+)$")),
    ("Getty TGN", re.compile(r"^https?://vocab\.getty\.edu/(?:page/)?tgn/(\d+)$")),
    ("GBIF", re.compile(r"^https?://(?:www\.)?gbif\.org/species/(\d+)$")),
    ("VIAF", re.compile(r"^https?://(?:www\.)?viaf\.org/viaf/(\d+)/?$")),
    ("Library of Congress", re.compile(r"^https?://id\.loc\.gov/authorities/\w+/(\w+)$")),
    ("GeoNames", re.compile(r"^https?://(?:www\.|sws\.)?geonames\.org/(\d+)/?")),
)


@dataclass(frozen=True)
class Authority:
    source: str | None  # e.g. "Wikidata"; None for a link Talk does not recognise
    identifier: str | None  # e.g. "Q186386"
    uri: str

    @property
    def label(self) -> str:
        if self.source:
            return f"{self.source} {self.identifier}"
        return urlsplit(self.uri).netloc


def authority(uri: str | None) -> Authority | None:
    """What an authority URI names (``Wikidata Q186386``), for display and exports."""
    if not uri:
        return None
    for source, pattern in AUTHORITIES:
        match = pattern.match(uri)
        if match:
            return Authority(source, match.group(1), uri)
    return Authority(None, None, uri)


def check_authority_uri(uri: str | None) -> str | None:
    """A clean authority URI (http or https, no spaces), None for none; InvalidInput otherwise."""
    uri = (uri or "").strip()
    if not uri:
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unclosed "[" in the host
        parts = urlsplit("")
    problem = None
    if len(uri) > MAX_AUTHORITY_URI:
        problem = f"At most {MAX_AUTHORITY_URI} characters."
    elif parts.scheme not in ("http", "https") or not parts.netloc:
        problem = "Must be a web address starting with https:// (e.g. a Wikidata item's URI)."
    elif any(ch.isspace() or ord(ch) < 32 for ch in uri):
        problem = "Must not contain spaces."
    if problem:
        raise InvalidInput("The authority link is not a web address.", {"authority_uri": [problem]})
    return uri
