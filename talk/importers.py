"""Importing a project's items from a CSV file (``talk import-items``).

The whole file is read and checked before anything is written: a spreadsheet with a bad row is
refused whole, each problem named with the line it is on, so the operator fixes the file and runs
the import again. With ``skip_invalid`` the good rows go in and the bad ones are listed. Rows are
inserted in chunks through :func:`talk.services.items.add_checked_items`, all in the caller's one
transaction: the caller commits once, so an import either happens completely or not at all.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from talk import policy
from talk.models import Project
from talk.policy import Actor
from talk.services import items as item_service

# Columns that fill an item's own fields; every other column goes into its metadata.
ITEM_COLUMNS = ("external_id", "title", *item_service.URL_FIELDS)
# Other names for item columns, used when the file has no column of the canonical name.
COLUMN_ALIASES = {"catalogue_url": "source_url", "catalog_url": "source_url"}
CHUNK_SIZE = min(1000, item_service.MAX_BATCH)


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file (``line`` None) or with the record starting on ``line``."""

    line: int | None
    message: str
    last_line: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}"
        if self.last_line is not None and self.last_line != self.line:
            where = f"lines {self.line}–{self.last_line}"
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    """What an import found and did. Nothing was imported when ``refused`` is true."""

    rows: int = 0
    imported: int = 0
    file_problems: list[Problem] = field(default_factory=list)
    row_problems: list[Problem] = field(default_factory=list)
    skipped_lines: list[int] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return [*self.file_problems, *self.row_problems]

    @property
    def refused(self) -> bool:
        return self.imported == 0 and bool(self.problems)


@dataclass
class _Record:
    line: int
    last_line: int
    row: dict[str, Any]
    problems: list[str] = field(default_factory=list)


class _FileProblem(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.problem = Problem(line, message)


def _decode(data: bytes) -> str:
    """The file's text; a file that is not UTF-8 is refused with where the first bad byte is."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _FileProblem("The file is UTF-16 encoded; save it as UTF-8 (CSV UTF-8) and retry.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _FileProblem(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded). "
            "Save it as UTF-8 (in a spreadsheet: 'CSV UTF-8') and retry.",
            line,
        ) from exc


def _header_plan(
    header: list[str], line: int
) -> tuple[dict[int, str], dict[int, str], list[Problem]]:
    """Which column fills which item field and which metadata key, and any header problems."""
    names = [name.strip() for name in header]
    lowered = [item_service.metadata_key(name) for name in names]  # case, composed forms
    fields: dict[int, str] = {}
    metadata: dict[int, str] = {}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for position, (name, key) in enumerate(zip(names, lowered, strict=True), start=1):
        if not name:
            continue  # an unnamed column: its values are checked per row
        if key in seen:
            problems.append(Problem(line, f"column {position} repeats the column name {name!r}."))
            continue
        seen[key] = position
        if key in ITEM_COLUMNS:
            fields[position - 1] = key
        elif key in COLUMN_ALIASES and COLUMN_ALIASES[key] not in lowered:
            fields[position - 1] = COLUMN_ALIASES[key]
        else:
            metadata[position - 1] = name
    if "external_id" not in fields.values():
        found = ", ".join(repr(n) for n in names if n) or "no column names"
        hint = ""
        if len(names) == 1 and any(sep in names[0] for sep in ";\t|"):
            hint = " The file looks separated by something other than commas; use commas."
        problems.insert(
            0, Problem(line, f"the header has no 'external_id' column (found: {found}).{hint}")
        )
    return fields, metadata, problems


def _records(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """Each CSV record with the lines it starts and ends on (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _FileProblem(
                f"the record starting here is not valid CSV ({exc}); check its double quotes.",
                previous_end + 1,
            ) from exc
        yield previous_end + 1, reader.line_num, values
        previous_end = reader.line_num


def read_items_csv(data: bytes) -> tuple[list[_Record], list[Problem]]:
    """Parse ``data`` into item rows (with their lines) and file-level problems."""
    try:
        text = _decode(data)
        records = _records(text)
        header = None
        for start, _end, values in records:
            if any(v.strip() for v in values):
                header, header_line = values, start
                break
        if header is None:
            return [], [Problem(None, "The file is empty: a header row is required.")]
        fields, metadata, problems = _header_plan(header, header_line)
        if problems:
            return [], problems
        parsed: list[_Record] = []
        for start, end, values in records:
            if not any(v.strip() for v in values):
                continue  # blank lines
            parsed.append(_row(start, end, values, header, fields, metadata))
    except _FileProblem as exc:
        return [], [exc.problem]
    if not parsed:
        return [], [Problem(None, "The file has a header but no item rows.")]
    return parsed, []


def _row(
    start: int,
    end: int,
    values: list[str],
    header: list[str],
    fields: dict[int, str],
    metadata: dict[int, str],
) -> _Record:
    record = _Record(start, end, {"metadata": {}})
    if len(values) > len(header):
        record.problems.append(
            f"has {len(values)} fields but the header has {len(header)} "
            "(a comma inside a value needs the value in double quotes)."
        )
    for position, value in enumerate(values):
        if position in fields:
            record.row[fields[position]] = value
        elif position in metadata:
            if value.strip():
                record.row["metadata"][metadata[position]] = value.strip()
        elif position < len(header) and value.strip():
            record.problems.append(f"column {position + 1} has a value but no column name.")
    record.row.setdefault("external_id", "")
    return record


def _check_rows(project: Project, records: list[_Record]) -> None:
    """Add the item service's problems to each record, naming duplicates by their first line."""
    first_line: dict[str, int] = {}
    for record in records:
        external_id = record.row["external_id"].strip()
        if external_id and external_id not in first_line:
            first_line[external_id] = record.line
    for problem in item_service.check_items(project, [r.row for r in records]):
        record = records[problem.index]
        external_id = record.row["external_id"].strip()
        if problem.duplicate and first_line.get(external_id, record.line) != record.line:
            message = (
                f"duplicate external_id {external_id!r} (first on line {first_line[external_id]})."
            )
        else:
            message = f"{problem.field}: {problem.message}"
        record.problems.append(message)


def import_items_csv(
    actor: Actor,
    project: Project,
    data: bytes | Path,
    *,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check every row of the CSV ``data``, then register the items (flushed, not committed).

    Any problem refuses the whole file unless ``skip_invalid``, which imports the good rows and
    reports the others. After each inserted chunk ``progress(rows in the chunk, rows to import)``
    is called. ``actor`` needs ``items.register`` in the project, as for the API's batches.
    """
    policy.require(actor, "items.register", project)
    if isinstance(data, Path):
        data = data.read_bytes()
    report = ImportReport()
    records, file_problems = read_items_csv(data)
    report.rows = len(records)
    if file_problems:
        report.file_problems = file_problems
        return report

    _check_rows(project, records)
    good = []
    for record in records:
        if record.problems:
            report.row_problems.extend(
                Problem(record.line, message, record.last_line) for message in record.problems
            )
            report.skipped_lines.append(record.line)
        else:
            good.append(record.row)
    if report.row_problems and not skip_invalid:
        report.skipped_lines = []
        return report
    if progress is not None:
        progress(0, len(good))
    for start in range(0, len(good), CHUNK_SIZE):
        chunk = good[start : start + CHUNK_SIZE]
        item_service.add_checked_items(actor, project, chunk)
        report.imported += len(chunk)
        if progress is not None:
            progress(len(chunk), len(good))
    return report
