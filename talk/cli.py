"""The ``talk`` command: the operator's tools (accounts, projects, roles, imports, serving).

It is a Flask CLI group, so Flask-Migrate's ``talk db upgrade`` and the commands each package adds
to ``app.cli`` in its ``init_app`` are listed and run alongside these, the core's. Every
command uses the database named by ``TALK_DATABASE_URL``, or else ``talk.sqlite`` in the instance
folder (where ``talk demo`` builds the demo too), and refuses rather than create an empty one
(:func:`require_database`). The operator at the terminal acts with
full rights (as :data:`talk.policy.OPERATOR`), through the same services as the web pages and the
API. A command that fails prints one clear message to stderr, exits non-zero and changes nothing:
it commits only when it has finished. Commands that write are declared with
:func:`talk.app.writing`, so on SQLite they queue for the write lock like a writing request.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException, with_appcontext
from sqlalchemy import event, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from tqdm import tqdm

from talk import config as talk_config
from talk import policy, serving
from talk.app import create_app, writing
from talk.errors import TalkError
from talk.extensions import db
from talk.models import ROLES

F = TypeVar("F", bound=Callable[..., Any])


def _create_app() -> Flask:
    """The app from the environment; a bad ``TALK_*`` value is a clean error, not a traceback
    (Flask's CLI prints a ``NoAppException`` as a message, even while listing commands)."""
    try:
        app = create_app()
    except talk_config.ConfigError as exc:
        raise NoAppException(str(exc)) from exc
    check_package_commands(app)
    _refuse_to_create_a_database(app)
    return _closed_with_command(app)


#: Commands that may open a database that does not exist yet: they create it.
CREATE_DATABASE = frozenset({"db", "demo"})


def sqlite_file(app: Flask) -> Path | None:
    """The file of ``app``'s SQLite database (None for another engine or an in-memory one)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):  # a SQLite URI names its own mode
        return None
    return Path(url.database).resolve()


def require_database(app: Flask) -> None:
    """Refuse, creating nothing, when the SQLite database is missing or has no tables.

    SQLite makes a missing file on connecting, so a command run before ``talk demo`` or
    ``talk db upgrade`` (or with a mistyped path) used to fail on "no such table" and leave an
    empty database behind, which the next command then took for a real one.
    """
    path = sqlite_file(app)
    if path is None:
        return
    if path.is_file():
        read_only = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            tables = read_only.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
        finally:
            read_only.close()
        if tables:
            return
    raise click.ClickException(f"No Talk database at {path}; run `talk demo` or `talk db upgrade`.")


def _creates_database() -> bool:
    context = click.get_current_context(silent=True)
    while context is not None:
        if context.info_name in CREATE_DATABASE:
            return True
        context = context.parent
    return False


def _refuse_to_create_a_database(app: Flask) -> None:
    """Check :func:`require_database` before a command's first connection, unless the command
    creates the database. Checked on connecting, not on start-up, so that commands which never
    open the database (``--help``, ``config-table``, ``routes``) run anywhere."""
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "do_connect")
    def check(*_: Any) -> None:
        if not _creates_database():
            require_database(app)


def check_package_commands(app: Flask) -> None:
    """A package's command (added to ``app.cli`` by its ``init_app``) may not take a core
    command's name: the core's would silently win."""
    if clashes := sorted(set(app.cli.commands) & set(cli.commands)):
        raise NoAppException(
            f"Package commands {', '.join(clashes)} have the names of core `talk` commands; "
            "rename them or put them in a group named after the package."
        )


def _closed_with_command(app: Flask) -> Flask:
    """Close the app's database connections when the running command ends, however it ends."""
    context = click.get_current_context(silent=True)
    if context is not None:

        def dispose() -> None:
            with app.app_context():
                db.engine.dispose()

        context.call_on_close(dispose)
    return app


cli = FlaskGroup(
    name="talk",
    create_app=_create_app,
    help="Talk: per-item discussion for heritage crowdsourcing projects.\n\n"
    "Commands use the database named by TALK_DATABASE_URL (default: SQLite in the instance "
    "folder). The site's packages add their own commands to this list.",
)


def describe(error: TalkError) -> str:
    """A service error as one readable message, with the fields it names."""
    details = "; ".join(
        f"{name}: {' '.join(messages)}" for name, messages in error.fields.items() if messages
    )
    return f"{error.message} ({details})" if details else error.message


def operator_errors(fn: F) -> F:
    """Turn refusals and an unusable database into a clean error exit (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TalkError as exc:
            raise click.ClickException(describe(exc)) from exc
        except (OperationalError, ProgrammingError) as exc:
            reason = str(exc.orig).strip()
            if "locked" in reason:  # SQLite's busy_timeout ran out: nothing is wrong with it
                raise click.ClickException(
                    "The database stayed busy with other writers; nothing was changed. Run the "
                    "command again."
                ) from exc
            raise click.ClickException(
                f"The database cannot be used: {reason}. Check TALK_DATABASE_URL and run "
                "`talk db upgrade`."
            ) from exc

    return wrapper  # type: ignore[return-value]


@cli.command("create-user")
@click.argument("username")
@click.option("--email", required=True, help="Email address (unique).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 8 characters; asked for when not given.",
)
@click.option("--display-name", help="Name shown to others (default: the username).")
@click.option("--site-admin", is_flag=True, help="May do anything on this Talk site.")
@with_appcontext
@operator_errors
@writing()
def create_user_command(
    username: str, email: str, password: str, display_name: str | None, site_admin: bool
) -> None:
    """Create an account."""
    from talk.services import accounts

    user = accounts.create_user(
        policy.OPERATOR, username, email, password, display_name=display_name, site_admin=site_admin
    )
    db.session.commit()
    kind = "site admin" if user.is_site_admin else "user"
    click.echo(f"Created {kind} {user.username} <{user.email}>.")


@cli.command("disable-user")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again.")
@with_appcontext
@operator_errors
@writing()
def disable_user_command(username: str, enable: bool) -> None:
    """Disable USERNAME's account: every session ends, logins and API tokens are refused
    (saying so) until --enable."""
    from talk.services import accounts

    user = accounts.get_user(username)
    accounts.disable_user(policy.OPERATOR, user, disabled=not enable)
    db.session.commit()
    click.echo(f"{'Enabled' if enable else 'Disabled'} the account {user.username}.")


@cli.command("create-token")
@click.argument("username")
@click.option("--name", default="", help="What the token is for (e.g. the script using it).")
@click.option(
    "--project",
    "project_slug",
    help="Limit the token to this project (slug): it acts only there, and reads elsewhere as "
    "an anonymous visitor.",
)
@click.option(
    "--expires-days",
    type=click.IntRange(1, 3650),
    help="Days until the token stops working (default: never).",
)
@with_appcontext
@operator_errors
@writing()
def create_token_command(
    username: str, name: str, project_slug: str | None, expires_days: int | None
) -> None:
    """Make an API token for USERNAME; the token is printed once, as the last line."""
    from talk.services import accounts, tokens

    user = accounts.get_user(username)
    issued = tokens.issue_token(
        policy.OPERATOR,
        user,
        name=name,
        project=tokens.scope_project(project_slug),
        expires_days=expires_days,
    )
    db.session.commit()
    limits = [f"project {issued.token.project.slug}"] if issued.token.project else []
    if issued.token.expires_at:
        limits.append(f"expires {issued.token.expires_at:%Y-%m-%d %H:%M} UTC")
    about = f" ({'; '.join(limits)})" if limits else ""
    click.echo(f"API token for {user.username}{about}. It is shown only this once; keep it secret:")
    click.echo(issued.secret)


@cli.command("create-project")
@click.argument("slug")
@click.option("--title", required=True, help="The project's name.")
@click.option("--description", default="", help="What the project is about (Markdown).")
@click.option("--owner", "owner_name", required=True, help="Username of the project's owner.")
@click.option(
    "--image-host",
    "image_hosts",
    multiple=True,
    help="A host whose images comments show inline (repeatable; .example.org adds subdomains).",
)
@with_appcontext
@operator_errors
@writing()
def create_project_command(
    slug: str, title: str, description: str, owner_name: str, image_hosts: tuple[str, ...]
) -> None:
    """Create a project (with its item board and general boards) owned by --owner."""
    from talk.services import accounts, projects

    owner = accounts.get_user(owner_name)
    project = projects.create_project(
        policy.OPERATOR, slug, title, description, owner=owner, image_hosts=image_hosts
    )
    db.session.commit()
    boards = ", ".join(board.title for board in project.boards)
    click.echo(f"Created project {project.slug} owned by {owner.username} (boards: {boards}).")


@cli.command("grant")
@click.argument("username")
@click.argument("project_slug", metavar="PROJECT")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--label", default="", help='Title shown with the role, e.g. "Herbarium curator".')
@with_appcontext
@operator_errors
@writing()
def grant_command(username: str, project_slug: str, role: str, label: str) -> None:
    """Give USERNAME the ROLE in PROJECT."""
    from talk.services import accounts, projects

    user = accounts.get_user(username)
    project = projects.get_project(project_slug)
    membership = projects.set_role(policy.OPERATOR, project, user, role, label)
    db.session.commit()
    shown = f"{membership.role} ({membership.label})" if membership.label else membership.role
    click.echo(f"{user.username} is now {shown} in {project.slug}.")


@cli.command("import-items")
@click.argument("project_slug", metavar="PROJECT")
@click.argument(
    "csv_file", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and list the bad ones.")
@with_appcontext
@operator_errors
@writing()
def import_items_command(project_slug: str, csv_file: Path, skip_invalid: bool) -> None:
    """Register PROJECT's items from a CSV file (header row required).

    Columns: external_id (required), title, image_url, thumbnail_url, iiif_manifest_uri,
    iiif_canvas_uri, source_url (or catalogue_url); every other column becomes item metadata.
    All rows are checked first: any problem imports nothing, unless --skip-invalid.
    """
    from talk.importers import import_items_csv
    from talk.services import projects

    project = projects.get_project(project_slug)
    bar: tqdm | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="item", desc="Importing", file=sys.stderr)
        bar.update(done)

    try:
        report = import_items_csv(
            policy.OPERATOR,
            project,
            csv_file.read_bytes(),
            skip_invalid=skip_invalid,
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    for problem in report.problems:
        click.echo(f"{csv_file.name}: {problem}", err=True)
    if report.refused:
        bad = len(report.skipped_lines) or len({p.line for p in report.row_problems})
        if report.file_problems:
            reason = "the file cannot be imported"
        elif skip_invalid:
            reason = f"all {report.rows} rows have problems"
        else:
            reason = f"{bad} of {report.rows} rows have problems (--skip-invalid imports the rest)"
        raise click.ClickException(f"Nothing was imported: {reason}.")
    db.session.commit()
    click.echo(f"Imported {report.imported} items into {project.slug}.")
    if report.skipped_lines:
        lines = ", ".join(str(line) for line in report.skipped_lines)
        click.echo(f"Skipped {len(report.skipped_lines)} rows with problems (lines {lines}).")


@cli.command("export-comments")
@click.argument("project_slug", metavar="PROJECT")
@click.option(
    "--output",
    "-o",
    default="-",
    type=click.File("w", encoding="utf-8", lazy=True),
    help="Where to write (default: standard output).",
)
@with_appcontext
@operator_errors
def export_comments_command(project_slug: str, output: TextIO) -> None:
    """Write PROJECT's readable comments as the Zooniverse Talk export (a JSON array), read and
    written a chunk at a time, so memory stays flat however many there are."""
    from talk.services import comment_export, projects

    project = projects.get_project(project_slug)
    count = comment_export.write_json(comment_export.comment_records(project), output)
    click.echo(f"Exported {count} comments of {project.slug}.", err=True)


@cli.command("config-table")
def config_table_command() -> None:
    """Print the table of every package's TALK_* settings (Markdown, for the README)."""
    try:
        click.echo(talk_config.markdown_table())
    except talk_config.ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="HOST:PORT to serve.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes (default: TALK_SERVE_WORKERS).",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="Request threads per worker process (default: TALK_SERVE_THREADS).",
)
@with_appcontext
def serve_command(bind: str, workers: int | None, threads: int | None) -> None:
    """Serve Talk in production with granian (put a reverse proxy in front: docs/deploy.md)."""
    workers = workers or current_app.config["TALK_SERVE_WORKERS"]
    threads = threads or current_app.config["TALK_SERVE_THREADS"]
    argv = serving.server_argv(bind, workers, threads)
    require_database(current_app)
    plural = "" if workers == 1 else "s"
    click.echo(
        f"Starting granian on {bind} with {workers} worker{plural} of {threads} threads.", err=True
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)  # noqa: S606 (our own interpreter, fixed arguments)


@cli.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Build (or reuse) the demo data and exit.")
@operator_errors
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Build a demo project and serve it with the development server.

    The data goes into the database every command uses: TALK_DATABASE_URL, or when that is unset
    talk.sqlite in the instance folder, so `talk create-token` and the others find it. An
    existing demo project is reused; a database holding anything else is refused.
    """
    from flask_migrate import upgrade
    from werkzeug.serving import run_simple

    from talk.demo import build_demo, start_demo_services

    app = _create_app()
    with app.app_context():
        upgrade()
        database = db.engine.url.render_as_string(hide_password=True)
    summary = build_demo(app)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    url = f"http://{shown_host}:{port}/projects/{summary.project_slug}"
    verb = "Built" if summary.created else "Reusing"
    click.echo(
        f"{verb} the demo project {summary.project_title!r} in {database}: {summary.items} "
        f"items, {summary.discussions} discussions, {summary.comments} comments"
        + (f" ({summary.seconds:.1f} s)." if summary.created else ".")
    )
    click.echo("\nLog in as (every demo account has the same password):")
    width = max(len(login.role) for login in summary.logins)
    for login in summary.logins:
        click.echo(f"  {login.role:<{width}}  {login.username:<14} {login.password}")
    if no_serve:
        click.echo(f"\nServe it with `talk demo`, then open {url}")
        return
    click.echo(f"\nOpen {url}  (Ctrl+C stops the server)\n")
    if "TALK_PUBLIC_URL" not in os.environ:  # the worker's email links name this server
        app.config["TALK_PUBLIC_URL"] = f"http://{shown_host}:{port}"
    start_demo_services(app)
    run_simple(host, port, app, threaded=True, use_reloader=False)


def main() -> None:
    """Console-script entry point (``talk``)."""
    cli.main(prog_name="talk")


if __name__ == "__main__":
    main()
