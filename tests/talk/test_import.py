"""``talk import-items``: a CSV file of items is checked whole, then imported all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from talk.cli import cli
from talk.extensions import db
from talk.importers import import_items_csv
from talk.models import Item, Project
from talk.policy import OPERATOR
from tests.conftest import SHARED_DATA

SCARLETS_AND_BLUES = SHARED_DATA / "scarlets-and-blues" / "items.csv"


@pytest.fixture(autouse=True)
def _restore_flask_cli_flag(monkeypatch):
    # FlaskGroup sets FLASK_RUN_FROM_CLI in os.environ; keep it from leaking into other tests.
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)


def write(tmp_path: Path, text: str | bytes, name: str = "items.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def import_file(runner, project, path: Path, *extra: str):
    return runner.invoke(cli, ["import-items", project.slug, str(path), *extra])


def stored_items(app, project) -> dict[str, Item]:
    with app.app_context():
        rows = db.session.scalars(select(Item).where(Item.project_id == project.id)).all()
        return {item.external_id: item for item in rows}


def item_count(app, project) -> int:
    with app.app_context():
        return db.session.get(Project, project.id).item_count


def test_good_csv_imports_every_row_with_metadata_and_aliases(app, runner, make, tmp_path):
    project = make.project()
    path = write(
        tmp_path,
        "external_id,title,image_url,catalogue_url,collector,date,empty\n"
        "s-1,Orchis mascula,https://img.example.org/1.jpg,https://cat.example.org/1,"
        "E. Ashworth,1887,\n"
        "s-2,,/static/demo/sheet-primula-veris.svg,,C. Ferrars,,\n"
        's-3,"Quercus robur, Cerne Abbas",,,"J. W. Holloway",1901,\n',
    )

    result = import_file(runner, project, path)

    assert result.exit_code == 0, result.output
    assert "Imported 3 items" in result.stdout
    items = stored_items(app, project)
    assert set(items) == {"s-1", "s-2", "s-3"}
    first = items["s-1"]
    assert first.title == "Orchis mascula"
    assert first.image_url == "https://img.example.org/1.jpg"
    assert first.source_url == "https://cat.example.org/1"  # catalogue_url is an alias
    assert first.item_metadata == {"collector": "E. Ashworth", "date": "1887"}
    assert items["s-2"].title == "s-2"  # no title: the external id stands in
    assert items["s-2"].item_metadata == {"collector": "C. Ferrars"}  # empty values left out
    assert items["s-3"].title == "Quercus robur, Cerne Abbas"
    assert item_count(app, project) == 3


MULTILINE_THEN_BAD = (
    "external_id,title,image_url,notes\n"  # line 1
    'a-1,Sheet one,https://img.example.org/1.jpg,"first line\n'  # line 2
    "second line\n"  # line 3
    'third line"\n'  # line 4
    ",No id,,\n"  # line 5
    "a-3,Sheet three,not a url,\n"  # line 6
    "a-4,Sheet four,,\n"  # line 7
    "a-5,Sheet five,,note,surplus\n"  # line 8
)


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(app, runner, make, tmp_path):
    project = make.project()
    path = write(tmp_path, MULTILINE_THEN_BAD)

    result = import_file(runner, project, path)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = result.stderr
    assert "line 5: external_id: Must not be blank." in errors
    assert "line 6: image_url:" in errors
    assert "line 8: has 5 fields but the header has 4" in errors
    assert "line 2" not in errors and "line 7" not in errors
    assert "Nothing was imported" in errors
    assert stored_items(app, project) == {}
    assert item_count(app, project) == 0


def test_skip_invalid_imports_the_good_rows_and_lists_the_rest(app, runner, make, tmp_path):
    project = make.project()
    path = write(tmp_path, MULTILINE_THEN_BAD)

    result = import_file(runner, project, path, "--skip-invalid")

    assert result.exit_code == 0, result.output
    assert "Imported 2 items" in result.stdout
    assert "Skipped 3 rows with problems (lines 5, 6, 8)" in result.stdout
    items = stored_items(app, project)
    assert set(items) == {"a-1", "a-4"}
    assert items["a-1"].item_metadata == {"notes": "first line\nsecond line\nthird line"}
    assert item_count(app, project) == 2


def test_skip_invalid_with_no_good_rows_fails(app, runner, make, tmp_path):
    project = make.project()
    path = write(tmp_path, "external_id,image_url\n,/img/1.jpg\nx,ftp://nope\n,,\n")
    result = import_file(runner, project, path, "--skip-invalid")
    assert result.exit_code == 1
    assert "all 2 rows have problems" in result.stderr
    assert stored_items(app, project) == {}


def test_existing_and_repeated_external_ids_are_duplicates(app, runner, make, tmp_path):
    project = make.project()
    existing = make.item(project, prefix="sheet")
    path = write(
        tmp_path,
        f"external_id,title\nnew-1,One\n{existing.external_id},Again\nnew-1,Twice\nnew-2,Two\n",
    )

    result = import_file(runner, project, path)

    assert result.exit_code == 1
    assert f"line 3: external_id: An item '{existing.external_id}' is already registered" in (
        result.stderr
    )
    assert "line 4: duplicate external_id 'new-1' (first on line 2)." in result.stderr
    assert set(stored_items(app, project)) == {existing.external_id}

    result = import_file(runner, project, path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert set(stored_items(app, project)) == {existing.external_id, "new-1", "new-2"}
    assert stored_items(app, project)["new-1"].title == "One"  # the first occurrence wins


def test_file_that_is_not_utf8_is_refused_with_its_line(app, runner, make, tmp_path):
    project = make.project()
    path = write(tmp_path, "external_id,title\nx-1,Cafe\nx-2,Caf\xe9 de Paris\n".encode("latin-1"))

    result = import_file(runner, project, path)

    assert result.exit_code == 1
    assert "line 3: the file is not UTF-8 text (byte 0xe9 cannot be decoded)" in result.stderr
    assert "Save it as UTF-8" in result.stderr
    assert stored_items(app, project) == {}


def test_utf16_file_is_refused_clearly(app, runner, make, tmp_path):
    project = make.project()
    path = write(tmp_path, "external_id,title\nx-1,One\n".encode("utf-16"))
    result = import_file(runner, project, path)
    assert result.exit_code == 1
    assert "UTF-16" in result.stderr
    assert stored_items(app, project) == {}


def test_utf8_with_byte_order_mark_imports(app, runner, make, tmp_path):
    project = make.project()
    path = write(tmp_path, "external_id,title\nx-1,Café\n".encode("utf-8-sig"))
    result = import_file(runner, project, path)
    assert result.exit_code == 0, result.output
    assert stored_items(app, project)["x-1"].title == "Café"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "id,title\n1,One\n",
            "line 1: the header has no 'external_id' column (found: 'id', 'title')",
        ),
        ("external_id;title\n1;One\n", "separated by something other than commas"),
        ("", "The file is empty: a header row is required."),
        ("\n\n", "The file is empty: a header row is required."),
        ("external_id,title\n", "The file has a header but no item rows."),
        ("external_id,title,title\n1,a,b\n", "line 1: column 3 repeats the column name 'title'"),
        (
            "external_id,Caf\u00e9,cafe\u0301\n1,a,b\n",
            "line 1: column 3 repeats the column name 'cafe\u0301'",
        ),
        (
            'external_id,title\n1,"unclosed\n2,two\n',
            "line 2: the record starting here is not valid",
        ),
    ],
)
def test_file_problems_import_nothing(app, runner, make, tmp_path, content, message):
    project = make.project()
    result = import_file(runner, project, write(tmp_path, content), "--skip-invalid")
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert stored_items(app, project) == {}


def test_value_in_unnamed_column_is_a_row_problem(app, runner, make, tmp_path):
    project = make.project()
    path = write(tmp_path, "external_id,,title\n1,,One\n2,stray,Two\n")
    result = import_file(runner, project, path)
    assert result.exit_code == 1
    assert "line 3: column 2 has a value but no column name." in result.stderr


def test_unknown_project_and_missing_file(app, runner, make, tmp_path):
    path = write(tmp_path, "external_id\n1\n")
    result = runner.invoke(cli, ["import-items", "no-such-project", str(path)])
    assert result.exit_code == 1
    assert "No project 'no-such-project'" in result.stderr

    project = make.project()
    result = runner.invoke(cli, ["import-items", project.slug, str(tmp_path / "missing.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_large_file_is_inserted_in_chunks_in_one_transaction(app, make):
    project = make.project()
    data = "external_id,title,box\n" + "".join(f"b-{n},Sheet {n},{n % 7}\n" for n in range(2500))
    chunks: list[tuple[int, int]] = []
    with app.app_context():
        stored = db.session.get(Project, project.id)
        report = import_items_csv(
            OPERATOR,
            stored,
            data.encode(),
            progress=lambda done, total: chunks.append((done, total)),
        )
        assert (report.rows, report.imported, report.problems) == (2500, 2500, [])
        assert chunks == [(0, 2500), (1000, 2500), (1000, 2500), (500, 2500)]
        db.session.rollback()  # the importer never commits: the caller decides
    assert stored_items(app, project) == {}

    with app.app_context():
        import_items_csv(OPERATOR, db.session.get(Project, project.id), data.encode())
        db.session.commit()
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Item).where(Item.project_id == project.id)
        )
        assert count == item_count(app, project) == 2500


@pytest.mark.skipif(
    not SCARLETS_AND_BLUES.exists(),
    reason=f"the Scarlets and Blues data set is not available at {SCARLETS_AND_BLUES}",
)
def test_scarlets_and_blues_items_import(app, runner, make):
    project = make.project("scarlets-and-blues", title="Scarlets and Blues")

    result = runner.invoke(cli, ["import-items", project.slug, str(SCARLETS_AND_BLUES)])

    assert result.exit_code == 0, result.output
    assert "Imported 2087 items into scarlets-and-blues." in result.stdout
    assert "Importing" in result.stderr  # the progress bar
    assert item_count(app, project) == 2087
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.external_id == "69734533"))
        assert item.title == "WO 250/433/2, page 2 (9 July 1908)"
        assert item.source_url == "https://discovery.nationalarchives.gov.uk/details/r/C170195"
        assert item.item_metadata == {
            "catalogue_ref": "WO 250/433/2",
            "date": "9 July 1908",
            "page": "2",
            "image_file": "WO_250_433_074.jpg",
            "workflow": "Meetings",
        }

    again = runner.invoke(cli, ["import-items", project.slug, str(SCARLETS_AND_BLUES)])
    assert again.exit_code == 1
    assert "2087 of 2087 rows have problems" in again.stderr
    assert item_count(app, project) == 2087


def test_a_data_url_says_only_http_urls_are_taken(app, runner, make, tmp_path):
    project = make.project()
    path = write(tmp_path, "external_id,image_url\n1,data:image/png;base64,AAAA\n")
    result = import_file(runner, project, path)
    assert result.exit_code == 1
    assert "line 2: image_url: Takes only http(s) URLs" in result.stderr
    assert "not a data: URL" in result.stderr
