"""Writing exports that people open in spreadsheets.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading one of those) is a formula to Excel, LibreOffice and Google
Sheets: an item titled ``=HYPERLINK("https://evil.example", "Click")`` would run when a curator
opens the file. :func:`safe_cell` prefixes such text with ``'``, which spreadsheets show as text
and do not display.

A spreadsheet set to another separator (``;`` in much of Europe, tab, ``|``) may split a cell
where this file has none, so ``x;=1+1`` would become a cell ``=1+1``: every text cell is quoted
(a quoted cell is never split), and a formula start after any separator gets the ``'`` too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, stream_with_context

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A separator some spreadsheet may split on, then spaces, then a formula start.
_AFTER_SEPARATOR = re.compile(r"([,;\t|][ ]*)([=+\-@])")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet reads it as text (numbers and None are left as they are)."""
    if not isinstance(value, str):
        return value
    value = _AFTER_SEPARATOR.sub(r"\1'\2", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_line(values: Iterable[Any]) -> str:
    """One CSV record (``\\r\\n``-terminated, as RFC 4180 says), every cell made safe and
    every text cell quoted; numbers stay bare, an empty cell is ``""``."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC).writerow([safe_cell(v) for v in values])
    return buffer.getvalue()


def download(body: Iterator[str], mimetype: str, filename: str) -> Response:
    """A streamed attachment: exports are written as they are read, never held whole."""
    return Response(
        stream_with_context(body),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
