"""The site is a declared list of packages, each plugged in through ``init_app(app)``."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask
from flask.cli import NoAppException
from flask_smorest import Blueprint as SmorestBlueprint

from talk import api, config, create_app, policy
from talk.cli import check_package_commands, cli
from talk.config import ConfigError, Setting, positive_int
from talk.extensions import db
from talk.models import Board, User
from talk.services import discussions
from talk.web import slots
from tests.conftest import login

TALK_DIR = Path(__file__).resolve().parents[2] / "talk"
SATELLITES = {"notifications", "moderation"}
SAMPLE = "tests.talk.sample_package"


def test_the_core_never_imports_the_satellite_packages():
    """They subscribe to the core; the core only names them in its package list (a string)."""
    offenders = []
    for path in sorted(TALK_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            offenders += [
                f"{path.relative_to(TALK_DIR.parent)}:{node.lineno} imports {module}"
                for module in modules
                if module.split(".")[0] in SATELLITES
            ]
    assert offenders == []


TEST_KEYS = (
    "TESTING",
    "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY",
    "TALK_CLOCK",
    "SERVER_NAME",
    "TALK_ALLOWED_HOSTS",
)


def test_the_site_declares_the_core_and_its_satellites(app):
    assert config.PACKAGES == ("talk", "notifications", "moderation")
    assert app.config["TALK_PACKAGES"] == config.PACKAGES
    # Their models are in db.metadata, where Alembic and the migrations test look.
    assert {"notifications.models", "moderation.models"} <= set(sys.modules)


@pytest.fixture
def made_apps():
    """Apps a test makes with :func:`create_app`: their engines are disposed of afterwards, so no
    pooled connection is left for the garbage collector (a ResourceWarning in a later test)."""
    made: list[Flask] = []
    yield made
    for other in made:
        with other.app_context():
            db.engine.dispose()


def test_the_declared_packages_are_initialised_in_order(app, monkeypatch, made_apps):
    """Each listed package's init_app runs once, in the listed order, after the core's."""
    calls: list[tuple[str, bool]] = []

    def package(name: str) -> ModuleType:
        def init_app(new: Flask) -> None:
            calls.append((name, "discussions" in new.blueprints))  # the core's pages are there

        module = ModuleType(name)
        module.init_app = init_app  # type: ignore[attr-defined]
        return module

    for name in ("first_package", "second_package"):
        monkeypatch.setitem(sys.modules, name, package(name))

    def make_app(*packages: str):
        made_apps.append(
            create_app(
                {
                    **{key: app.config[key] for key in TEST_KEYS},
                    "INSTANCE_PATH": app.instance_path,
                    "TALK_PASSWORD_METHOD": app.config["TALK_PASSWORD_METHOD"],
                    "TALK_PACKAGES": ("talk", *packages),
                }
            )
        )
        return made_apps[-1]

    made = make_app("first_package", "second_package")
    assert made.config["TALK_PACKAGES"] == ("talk", "first_package", "second_package")
    assert calls == [("first_package", True), ("second_package", True)]
    calls.clear()
    make_app("second_package", "first_package")
    assert calls == [("second_package", True), ("first_package", True)]


@pytest.fixture
def with_sample(app, made_apps):
    """``with_sample()``: an app like the test app, with one more package, read from the
    environment as it is now."""

    def make_app():
        made_apps.append(
            create_app(
                {
                    **{key: app.config[key] for key in TEST_KEYS},
                    "INSTANCE_PATH": app.instance_path,
                    "TALK_PASSWORD_METHOD": app.config["TALK_PASSWORD_METHOD"],
                    "TALK_PACKAGES": (*config.PACKAGES, SAMPLE),
                }
            )
        )
        return made_apps[-1]

    return make_app


@pytest.fixture
def sample_app(with_sample):
    """The test app with the sample package: its settings, pages, API, command and receiver."""
    return with_sample()


def test_a_package_declares_settings_read_with_the_cores(sample_app, with_sample, monkeypatch):
    assert sample_app.config["TALK_SAMPLE_GREETING"] == "hello"
    table = config.markdown_table(
        config.declared_settings(config.load_packages((*config.PACKAGES, SAMPLE)))
    )
    assert "| `TALK_SAMPLE_LIMIT` | int | `3` | Highest sample number served. |" in table
    assert table.index("`TALK_DATABASE_URL`") < table.index("`TALK_SAMPLE_GREETING`")

    monkeypatch.setenv("TALK_SAMPLE_GREETING", "good morning")
    again = with_sample()
    assert again.test_client().get("/sample").get_data(as_text=True) == "good morning"

    monkeypatch.setenv("TALK_SAMPLE_LIMIT", "none")
    with pytest.raises(ConfigError, match="TALK_SAMPLE_LIMIT='none' is not valid"):
        with_sample()


@pytest.mark.commits  # the sample app has its own engine: it sees committed data only
def test_a_package_serves_api_resources_like_the_cores(sample_app, make, token):
    client = sample_app.test_client()
    admin = token(make.admin())
    volunteer = token(make.user())

    assert client.get("/api/v1/samples/2").get_json() == {"n": 2, "note": ""}
    missing = client.get("/api/v1/samples/9")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == {
        "code": "not_found",
        "message": "No sample 9.",
        "fields": {},
    }
    # Authenticated and checked by talk.api.auth, exempt from the pages' CSRF form check.
    anonymous = client.post("/api/v1/samples/1", json={"n": 1})
    assert (anonymous.status_code, anonymous.get_json()["error"]["code"]) == (
        401,
        "unauthenticated",
    )
    refused = client.post("/api/v1/samples/1", json={"n": 1}, headers=volunteer)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "forbidden")
    invalid = client.post("/api/v1/samples/1", json={"n": "one"}, headers=admin)
    assert invalid.status_code == 422 and "n" in invalid.get_json()["error"]["fields"]
    poked = client.post("/api/v1/samples/1", json={"n": 1, "note": "hi"}, headers=admin)
    assert (poked.status_code, poked.get_json()) == (201, {"n": 1, "note": "hi"})

    document = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/samples/{n}" in document["paths"]
    assert "/api/v1/projects" in document["paths"]  # one document for every package


def test_register_blueprint_wants_a_talk_api_blueprint(app):
    with pytest.raises(TypeError, match="api_blueprint"):
        api.register_blueprint(app, SmorestBlueprint("plain", __name__))


def test_a_package_adds_commands_to_talk(sample_app):
    runner = sample_app.test_cli_runner()
    listing = runner.invoke(cli, ["--help"])
    assert "sample" in listing.stdout and "create-user" in listing.stdout
    poked = runner.invoke(cli, ["sample", "poke", "7"])
    assert poked.exit_code == 0, poked.output
    assert poked.stdout == "Poked sample 7 (hello).\n"
    assert "poke" in runner.invoke(cli, ["sample", "--help"]).stdout


def test_a_package_command_may_not_take_a_core_name(sample_app):
    sample_app.cli.add_command(cli.commands["grant"], "grant")
    with pytest.raises(NoAppException, match="grant"):
        check_package_commands(sample_app)


@pytest.mark.commits  # the sample app has its own engine: it sees committed data only
def test_a_package_adds_rules_and_receives_signals(app, sample_app, make):
    assert "sample.poke" in policy.rule_names()
    assert policy.may(policy.OPERATOR, "sample.poke")
    project = make.project()
    author = make.user()
    with sample_app.app_context():
        user = db.session.get(User, author.id)
        board = db.session.get(Board, project.boards["Chat"].id)
        discussion = discussions.start_discussion(user, board, "Hello", "First")
        reply = discussions.post_comment(user, discussion, "Reply").id
        db.session.rollback()
    assert (reply, author.id) in sample_app.extensions[SAMPLE]["comments_posted"]
    assert SAMPLE not in app.extensions  # an app without the package is left alone


@pytest.mark.commits  # the sample app has its own engine: it sees committed data only
def test_a_package_vetoes_writes_and_checks_content(sample_app, make, token):
    """The sample veto makes one project read-only on every write door, and its content check
    refuses a watched word; apps without the package are unaffected."""
    sample_app.config.update(TALK_SAMPLE_FROZEN="archive", TALK_SAMPLE_WATCHED="spoiler")
    client = sample_app.test_client()
    archive = make.project("archive", title="Old registers")
    live = make.project("live")
    author = make.user()
    headers = token(author)
    old = make.discussion(archive, author)
    new = make.discussion(live, author)

    refused = client.post(
        f"/api/v1/discussions/{old.id}/comments", json={"body": "hi"}, headers=headers
    )
    assert refused.status_code == 403
    assert (
        refused.get_json()["error"]["message"] == "Old registers is read-only while it is archived."
    )
    assert client.get(f"/api/v1/discussions/{old.id}/comments").status_code == 200
    edit = client.patch(
        f"/api/v1/comments/{old.first_comment_id}", json={"body": "x"}, headers=headers
    )
    assert edit.status_code == 403
    watched = client.post(
        f"/api/v1/discussions/{new.id}/comments", json={"body": "A SPOILER"}, headers=headers
    )
    assert (watched.status_code, watched.get_json()["error"]["message"]) == (
        422,
        "Please leave out 'spoiler'.",
    )
    fine = client.post(
        f"/api/v1/discussions/{new.id}/comments", json={"body": "ok"}, headers=headers
    )
    assert fine.status_code == 201
    comments = client.get(f"/api/v1/discussions/{old.id}/comments").get_json()["data"]
    assert [c["body"] for c in comments] == ["What is this?"]
    assert [
        c["body"] for c in client.get(f"/api/v1/discussions/{new.id}/comments").get_json()["data"]
    ] == [
        "What is this?",
        "ok",
    ]


@pytest.mark.commits  # the sample app has its own engine: it sees committed data only
def test_a_package_puts_content_in_the_slots_of_core_pages(app, sample_app, make):
    """Slots render what the packages listed on the app put there (text escaped, Markup as it
    is, each filler once) and nothing for an app without them."""
    project = make.project()
    author = make.user()
    discussion = make.discussion(project, author, title="Ferns")
    client = sample_app.test_client()
    page = client.get(f"/discussions/{discussion.id}").get_data(as_text=True)
    assert page.count("&lt;Sample&gt; notes &#39;Ferns&#39;") == 1
    assert "sample-note" not in page  # the header's account slot: for logged-in users
    login(client, author.username)
    page = client.get(f"/discussions/{discussion.id}").get_data(as_text=True)
    assert '<li class="sample-note">Sample</li>' in page
    plain = app.test_client().get(f"/discussions/{discussion.id}").get_data(as_text=True)
    assert "Sample" not in plain
    with pytest.raises(ValueError, match=r"No slot 'discussion\.footer'"):
        slots.register(sample_app, "discussion.footer", str)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (("notifications", "talk"), "'talk' first"),
        ("talk", "list the package names"),
        ((), "list the package names"),
        (("talk", "talk"), "listed twice"),
        (("talk", "no_such_package"), "cannot import package 'no_such_package'"),
        (("talk", "json"), "package 'json' has no init_app"),
    ],
)
def test_bad_package_lists_stop_start_up_with_a_message(tmp_path, names, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"INSTANCE_PATH": str(tmp_path), "TALK_PACKAGES": names})


def _package(name: str, *settings: Setting) -> ModuleType:
    module = ModuleType(name)
    module.SETTINGS = settings  # type: ignore[attr-defined]
    return module


def test_two_packages_may_not_declare_one_setting():
    one = Setting("TALK_DIGEST_HOUR", "TALK_DIGEST_HOUR", 7, positive_int, "Hour of the digest.")
    with pytest.raises(ConfigError, match=r"TALK_DIGEST_HOUR is declared twice \(by 'a' and 'b'\)"):
        config.declared_settings([_package("a", one), _package("b", one)])
    with pytest.raises(ConfigError, match="not a Setting"):
        config.declared_settings([_package("a", ("TALK_X", 1))])  # type: ignore[arg-type]


@pytest.mark.parametrize("env", ["DIGEST_HOUR", "talk_digest_hour"])
def test_settings_are_named_talk_something(env):
    with pytest.raises(ValueError, match="start with TALK_"):
        Setting(env, env, 7, positive_int, "Hour of the digest.")
