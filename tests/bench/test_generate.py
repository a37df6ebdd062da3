"""The data generator of ``bench/generate.py``, small: what it writes passes its own check (the
services write the same for sampled comments, every counter equals its recount), the manifest
names rows that exist with the shapes it promises, and the check does catch a wrong row.

It runs the generator as the runner does, in a subprocess on a SQLite file of its own (so it
never touches the test database); 1,000 comments with 300 distinct bodies take a few seconds."""

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

GENERATE = Path(__file__).resolve().parents[2] / "bench" / "generate.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(GENERATE), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    folder = tmp_path_factory.mktemp("generated")
    database, manifest = folder / "bench.sqlite", folder / "manifest.json"
    done = run(
        "--database-url", f"sqlite:///{database}", "--manifest", str(manifest),
        "--comments", "1000", "--distinct", "300", "--seed", "3", "--sample", "30",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return database, json.loads(manifest.read_text()), done.stdout


def test_what_it_writes_passes_the_check_against_the_services(generated):
    _, _, output = generated
    assert "30 sampled comments and every counter match the write path" in output
    assert "DIFFERENCE" not in output


def test_the_manifest_names_rows_with_the_promised_shapes(generated):
    database, manifest, _ = generated
    db = sqlite3.connect(database)
    one = lambda sql, *args: db.execute(sql, args).fetchone()  # noqa: E731
    assert manifest["engine"] == "sqlite"
    assert manifest["counts"] == {
        "items": 100,
        "comments": 1000,
        "users": 54,  # 50 volunteers, the owner, the moderator, the expert, the bench user
        "discussions": one("SELECT count(*) FROM discussions")[0],
    }
    assert one("SELECT count(*) FROM comments")[0] == 1000
    project = one("SELECT id FROM projects WHERE slug = ?", manifest["project"])[0]
    busy = one("SELECT comment_count FROM items WHERE external_id = ?", manifest["item"])[0]
    quiet = one("SELECT comment_count FROM items WHERE external_id = ?", manifest["item_quiet"])
    assert busy >= 250 and quiet == (1,)
    hot = manifest["hot_discussion"]
    assert hot["comments"] == 250  # a quarter of the comments, at most 5,000
    assert one("SELECT comment_count FROM discussions WHERE id = ?", hot["id"]) == (250,)
    followed = manifest["followed_discussion"]
    assert followed["followers"] == 50  # every volunteer (at most 10,000)
    assert one("SELECT count(*) FROM follows WHERE discussion_id = ?", followed["id"]) == (50,)
    assert one("SELECT project_id FROM boards WHERE id = ?", manifest["board"]) == (project,)
    for name in (manifest["tag"], manifest["search"]["tag"]):
        assert one("SELECT use_count > 0 FROM tags WHERE name = ?", name) == (1,)
    for word in manifest["search"]["words"].split():
        assert one("SELECT count(*) FROM comments WHERE body LIKE ?", f"%{word}%")[0] > 0
    phrase = manifest["search"]["phrase"].strip('"')
    assert one("SELECT count(*) FROM comments WHERE lower(body) LIKE ?", f"%{phrase}%")[0] > 0
    for role in ("user", "moderator"):
        assert one("SELECT id FROM users WHERE username = ?", manifest[role]["username"])
    secret = manifest["user"]["token"].encode()
    assert one(  # stored as the token service stores it: only its SHA-256
        "SELECT u.username FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.token_hash = ?",
        hashlib.sha256(secret).hexdigest(),
    ) == (manifest["user"]["username"],)


def test_the_check_finds_a_wrong_row_and_a_wrong_counter(generated, tmp_path):
    database, _, _ = generated
    broken = tmp_path / "broken.sqlite"
    source = sqlite3.connect(database)
    with sqlite3.connect(broken) as target:
        source.backup(target)
        target.execute("UPDATE comments SET body_html = body_html || 'x'")
        target.execute("UPDATE tags SET use_count = use_count + 1 WHERE id = 1")
    done = run("--database-url", f"sqlite:///{broken}", "--check", "--sample", "5")
    assert done.returncode == 1
    assert " html: generated " in done.stdout
    assert "DIFFERENCE counter tags.use_count[1]" in done.stdout
