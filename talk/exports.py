"""Writing exports that people open in spreadsheets.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading one of those) is a formula to Excel, LibreOffice and Google
Sheets: an item titled ``=HYPERLINK("https://evil.example", "Click")`` would run when a curator
opens the file. :func:`safe_cell` prefixes such text with ``'``, which spreadsheets show as text
and do not display.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, stream_with_context

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet reads it as text (numbers and None are left as they are)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_line(values: Iterable[Any]) -> str:
    """One CSV record (``\\r\\n``-terminated, as RFC 4180 says), every cell made safe."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(v) for v in values])
    return buffer.getvalue()


def download(body: Iterator[str], mimetype: str, filename: str) -> Response:
    """A streamed attachment: exports are written as they are read, never held whole."""
    return Response(
        stream_with_context(body),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
