"""The ``talk`` command: each operator command through click, against the real services."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, inspect, select

from talk.app import database_url
from talk.cli import cli
from talk.config import markdown_table
from talk.extensions import db
from talk.models import Membership, Project, User
from talk.services import accounts, tokens
from tests.conftest import TEST_PASSWORD, post_comments_at_once


@pytest.fixture(autouse=True)
def _restore_flask_cli_flag(monkeypatch):
    # FlaskGroup sets FLASK_RUN_FROM_CLI in os.environ; keep it from leaking into other tests.
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)


def talk(runner, *args: str, **kwargs):
    return runner.invoke(cli, list(args), **kwargs)


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def clean_failure(result, status: int = 1) -> str:
    assert result.exit_code == status, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    return result.stderr


# --- create-user -------------------------------------------------------------------------------


def test_create_user_makes_an_account_that_can_log_in(app, runner):
    result = talk(
        runner,
        "create-user",
        "Edith",
        "--email",
        "Edith@Example.org",
        "--password",
        TEST_PASSWORD,
        "--display-name",
        "Edith Ashworth",
    )
    assert result.exit_code == 0, result.output
    assert "Created user Edith <edith@example.org>." in result.stdout
    with app.app_context():
        user = accounts.authenticate("edith", TEST_PASSWORD)
        assert user is not None
        assert (user.display_name, user.is_site_admin) == ("Edith Ashworth", False)


def test_create_user_site_admin_and_password_prompt(app, runner):
    result = talk(
        runner,
        "create-user",
        "root_admin",
        "--email",
        "root@example.org",
        "--site-admin",
        input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created site admin root_admin" in result.stdout
    assert TEST_PASSWORD not in result.stdout  # the prompt hides the password
    with app.app_context():
        assert accounts.authenticate("root_admin", TEST_PASSWORD).is_site_admin


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["taken", "--email", "new@example.org"], "That username is taken."),
        (["TAKEN", "--email", "new@example.org"], "That username is taken."),
        (["fresh", "--email", "Taken@example.org"], "already registered"),
        (["fresh", "--email", "not-an-email"], "Email address is not valid"),
        (["fresh", "--email", "new@example.org", "--password", "short"], "Password is not valid"),
        (["no spaces", "--email", "new@example.org"], "Username is not valid"),
    ],
)
def test_create_user_refusals_exit_non_zero_and_change_nothing(app, runner, make, args, message):
    make.user("taken")
    if "--password" not in args:
        args = [*args, "--password", TEST_PASSWORD]
    before = user_count(app)

    result = talk(runner, "create-user", *args)

    assert message in clean_failure(result)
    assert user_count(app) == before


def test_create_user_without_email_is_a_usage_error(app, runner):
    result = talk(runner, "create-user", "someone", "--password", TEST_PASSWORD)
    assert "Missing option '--email'" in clean_failure(result, 2)
    assert user_count(app) == 0


# --- create-token ------------------------------------------------------------------------------


def test_create_token_prints_a_working_token_last(app, runner, make):
    user = make.user("scripter")

    result = talk(runner, "create-token", "scripter", "--name", "nightly sync")

    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    with app.app_context():
        owner = tokens.authenticate_token(token).user
        assert owner.id == user.id
        assert [t.name for t in owner.tokens] == ["nightly sync"]


def test_create_token_for_unknown_user_fails_cleanly(app, runner):
    result = talk(runner, "create-token", "ghost")
    assert "No user named 'ghost'." in clean_failure(result)


# --- create-project ----------------------------------------------------------------------------


def test_create_project_is_owned_by_an_ordinary_user(app, runner, make):
    owner = make.user("curator")

    result = talk(
        runner,
        "create-project",
        "herbarium",
        "--title",
        "Herbarium sheets",
        "--description",
        "Sheets from *Wessex*.",
        "--owner",
        "curator",
    )

    assert result.exit_code == 0, result.output
    assert "Created project herbarium owned by curator" in result.stdout
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "herbarium"))
        assert (project.title, project.description) == ("Herbarium sheets", "Sheets from *Wessex*.")
        assert project.boards[0].kind == "items"
        roles = db.session.execute(
            select(Membership.user_id, Membership.role).where(Membership.project_id == project.id)
        ).all()
        assert roles == [(owner.id, "owner")]
        assert not db.session.get(User, owner.id).is_site_admin  # no rights beyond the project


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new-one", "--title", "T", "--owner", "nobody"], "No user named 'nobody'."),
        (["taken-slug", "--title", "T", "--owner", "curator"], "exists already"),
        (["Bad Slug", "--title", "T", "--owner", "curator"], "Slug is not valid."),
        (["new-one", "--title", "   ", "--owner", "curator"], "title is required."),
    ],
)
def test_create_project_refusals_change_nothing(app, runner, make, args, message):
    make.user("curator")
    make.project("taken-slug")
    result = talk(runner, "create-project", *args)
    assert message in clean_failure(result)
    with app.app_context():
        assert db.session.scalars(select(Project.slug)).all() == ["taken-slug"]


# --- grant -------------------------------------------------------------------------------------


def test_grant_gives_a_role_with_a_label(app, runner, make):
    project = make.project("herbarium")
    expert = make.user("eleanor")

    result = talk(runner, "grant", "eleanor", "herbarium", "expert", "--label", "Herbarium curator")

    assert result.exit_code == 0, result.output
    assert "eleanor is now expert (Herbarium curator) in herbarium." in result.stdout
    with app.app_context():
        membership = db.session.scalar(
            select(Membership).where(
                Membership.project_id == project.id, Membership.user_id == expert.id
            )
        )
        assert (membership.role, membership.label) == ("expert", "Herbarium curator")

    result = talk(runner, "grant", "eleanor", "herbarium", "moderator")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(Membership, membership.id).role == "moderator"


def test_grant_refusals(app, runner, make):
    project = make.project("herbarium")
    make.user("someone")

    assert "'wizard' is not one of" in clean_failure(
        talk(runner, "grant", "someone", "herbarium", "wizard"), 2
    )
    assert "No project 'nowhere'." in clean_failure(
        talk(runner, "grant", "someone", "nowhere", "team")
    )
    assert "No user named 'ghost'." in clean_failure(
        talk(runner, "grant", "ghost", "herbarium", "team")
    )
    # The only owner cannot be demoted: the project would have nobody in charge.
    stderr = clean_failure(talk(runner, "grant", project.owner.username, "herbarium", "team"))
    assert "A project needs at least one owner." in stderr
    with app.app_context():
        roles = db.session.scalars(
            select(Membership.role).where(Membership.project_id == project.id)
        ).all()
        assert roles == ["owner"]


# --- writing alongside the web ------------------------------------------------------------------


def _empty_every_table(app) -> None:
    with app.app_context(), db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def committed(app):
    """This test commits for real (threads, separate connections): empty the tables after."""
    yield
    _empty_every_table(app)


@pytest.mark.commits
def test_commands_queue_for_the_write_lock_beside_web_writers(
    app, runner, make, token, tmp_path, committed
):
    """A command reads, then writes; web writers commit in between. Declared with writing(), it
    takes SQLite's write lock when it begins and waits its turn: no 'database is locked', no
    5xx, every write kept."""
    project = make.project("herbarium")
    discussion = make.discussion(project, make.user("starter"))
    writers = [token(make.user()) for _ in range(4)]
    bodies = [f"reply {n}" for n in range(6)]
    imports = 8
    files = []
    for n in range(imports):
        path = tmp_path / f"batch{n}.csv"
        path.write_text("external_id,title\n" + "".join(f"b{n}-{i},Sheet {i}\n" for i in range(40)))
        files.append(path)

    def run_commands() -> list[tuple[int, str]]:
        results = [talk(runner, "import-items", "herbarium", str(path)) for path in files]
        return [(result.exit_code, result.output) for result in results]

    url = f"/api/v1/discussions/{discussion.id}/comments"
    with ThreadPoolExecutor(1) as pool:
        commands = pool.submit(run_commands)
        statuses, _ = post_comments_at_once(app, url, writers, bodies)
        outcomes = commands.result()

    assert [code for code, _ in outcomes] == [0] * imports, outcomes
    assert not any("busy" in output or "locked" in output for _, output in outcomes)
    assert statuses == [201] * (len(writers) * len(bodies))
    with app.app_context():
        stored = db.session.get(Project, project.id)
        assert (stored.item_count, stored.comment_count) == (imports * 40, 1 + len(statuses))


# --- config-table, db upgrade, the environment ---------------------------------------------------


def test_config_table_prints_the_settings_table(runner):
    result = talk(runner, "config-table")
    assert result.exit_code == 0
    assert result.stdout.strip() == markdown_table()
    assert "`TALK_DATABASE_URL`" in result.stdout


def test_db_upgrade_and_commands_use_talk_database_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    env = {"TALK_DATABASE_URL": url, "TALK_INSTANCE_PATH": str(tmp_path / "instance")}
    runner = CliRunner()

    refused = runner.invoke(
        cli,
        ["create-user", "early", "--email", "e@example.org", "--password", TEST_PASSWORD],
        env=env,
    )
    assert "talk db upgrade" in clean_failure(refused)  # no tables yet: a clear hint
    assert not (tmp_path / "fresh.sqlite").exists()  # and no empty database left behind

    upgraded = runner.invoke(cli, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    created = runner.invoke(
        cli,
        ["create-user", "early", "--email", "e@example.org", "--password", TEST_PASSWORD],
        env=env,
    )
    assert created.exit_code == 0, created.output

    engine = create_engine(database_url(url))
    try:
        assert {"users", "projects", "items", "comments"} <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT username FROM users").scalars().all() == [
                "early"
            ]
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "args",
    [
        ["create-token", "priya"],
        ["create-user", "early", "--email", "e@example.org", "--password", TEST_PASSWORD],
        ["create-project", "p", "--title", "P", "--owner", "priya"],
        ["grant", "priya", "p", "volunteer"],
    ],
)
def test_commands_before_any_database_refuse_and_create_none(tmp_path, args):
    env = {"TALK_DATABASE_URL": None, "TALK_INSTANCE_PATH": str(tmp_path)}
    result = CliRunner().invoke(cli, args, env=env)
    assert clean_failure(result).strip() == (
        f"Error: No Talk database at {tmp_path / 'talk.sqlite'}; run `talk demo` or "
        "`talk db upgrade`."
    )
    assert not (tmp_path / "talk.sqlite").exists()


def test_an_empty_database_file_is_refused_like_a_missing_one(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.touch()  # what a failed command used to leave behind
    env = {"TALK_DATABASE_URL": f"sqlite:///{empty}", "TALK_INSTANCE_PATH": str(tmp_path)}
    result = CliRunner().invoke(cli, ["create-token", "priya"], env=env)
    assert f"No Talk database at {empty}; run `talk demo`" in clean_failure(result)
    assert empty.stat().st_size == 0


def test_commands_that_need_no_database_run_without_one(tmp_path):
    env = {"TALK_DATABASE_URL": None, "TALK_INSTANCE_PATH": str(tmp_path)}
    for args in (["--help"], ["config-table"], ["routes"], ["create-token", "--help"]):
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 0, (args, result.output)
    assert not (tmp_path / "talk.sqlite").exists()


def test_bad_setting_is_reported_without_traceback(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["create-token", "anyone"],
        env={"TALK_PAGE_SIZE": "lots", "TALK_INSTANCE_PATH": str(tmp_path)},
    )
    assert "TALK_PAGE_SIZE='lots' is not valid" in clean_failure(result, 2)
