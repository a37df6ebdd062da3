"""``talk moderation``: site bans from the command line, as the operator (a spam wave at
night needs no browser), and a person's standing."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from moderation import sanctions
from moderation.sanction_models import REASONS, Sanction
from moderation.sanction_rules import describe
from talk import policy
from talk.app import writing
from talk.cli import operator_errors
from talk.clock import utcnow
from talk.errors import NotFound
from talk.extensions import db
from talk.services import accounts


@click.group("moderation", help="Site bans and standing (as the operator).")
def group() -> None:
    pass


@group.command("ban")
@click.argument("username")
@click.option("--reason", type=click.Choice(REASONS), required=True, help="Shown to them.")
@click.option("--days", type=click.IntRange(1, sanctions.MAX_DAYS), help="Default: until lifted.")
@click.option("--note", default="", help="A message to them.")
@with_appcontext
@operator_errors
@writing()
def ban_command(username: str, reason: str, days: int | None, note: str) -> None:
    """Ban USERNAME from writing anywhere on the site."""
    ban = sanctions.ban(
        policy.OPERATOR, accounts.get_user(username), reason=reason, note=note, days=days
    )
    db.session.commit()
    click.echo(f"Ban {ban.id}: {describe(ban).replace('You are', f'{username} is', 1)}")


@group.command("lift")
@click.argument("sanction_id", type=click.IntRange(1))
@click.option("--note", default="", help="Why, for the audit log.")
@with_appcontext
@operator_errors
@writing()
def lift_command(sanction_id: int, note: str) -> None:
    """Lift the mute, suspension or ban SANCTION_ID now."""
    sanction = db.session.get(Sanction, sanction_id)
    if sanction is None:
        raise NotFound(f"No decision {sanction_id}.")
    sanctions.lift(policy.OPERATOR, sanction, note=note)
    db.session.commit()
    click.echo(f"Lifted {sanction.kind} {sanction.id} of {sanction.person.username}.")


@group.command("standing")
@click.argument("username")
@with_appcontext
@operator_errors
def standing_command(username: str) -> None:
    """List every decision about USERNAME, newest first."""
    person = accounts.get_user(username)
    rows = sanctions.standing(person, None)
    if not rows:
        click.echo(f"{person.username}: no decisions.")
    for row in rows:
        where = row.project.slug if row.project else "site"
        end = row.ends_at.isoformat() if row.ends_at else "-"
        state = "lifted" if row.lifted_at else ("in force" if row.active_at(utcnow()) else "")
        click.echo(f"{row.id}\t{row.kind}\t{where}\t{row.reason}\t{end}\t{state}".rstrip())
