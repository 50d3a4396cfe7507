"""Command-line commands: ``seed``, ``demo``, ``users create``, ``audit verify|checkpoint|public-key``, ``tick``,
``rebuild-deadlines``.

Each command runs its operation and commits once at the end, or rolls everything back.
"""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from govern.audit import chain
from govern.auth import operations
from govern.auth.models import Role, User
from govern.core.errors import OperationError
from govern.extensions import db
from govern.partnership.demo import DEMO_DOMAIN, DEMO_PASSWORD, load_demo
from govern.partnership.models import Organisation, SubordinateGroup
from govern.partnership.seed import seed_partnership


@click.command("seed")
def seed_command() -> None:
    """Load the Devon STP MoU: parties, groups, principles. Running it twice changes nothing."""
    created = seed_partnership()
    db.session.commit()
    click.echo(f"Seeded {len(created)} new records." if created else "Already seeded: nothing changed.")


@click.command("demo")
@click.option("--yes-this-is-not-production", "not_production", is_flag=True,
              help="Load the demo even though the database holds accounts of its own (never in production).")
def demo_command(not_production: bool) -> None:
    """Load the seed plus demo accounts (password: the README's demo password).

    The demo's accounts share one published password, so it is loaded only into a new database or a
    demo's own (no accounts but the demo's), or when told plainly that this is not production; and
    never where the settings say production (``PRODUCTION``)."""
    if current_app.config.get("PRODUCTION"):
        raise click.ClickException("This is a production server (PRODUCTION is set): the demo is never loaded here.")
    others = db.session.scalar(
        select(func.count()).select_from(User).where(User.email.not_like(f"%@{DEMO_DOMAIN}"))
    )
    if others and not not_production:
        raise click.ClickException(
            f"This database holds {others} accounts that are not the demo's. The demo's accounts share a "
            "published password: load it only into a database that is not production, and say so with "
            "--yes-this-is-not-production."
        )
    added = load_demo()
    db.session.commit()
    click.echo(f"Demo loaded: {added} new accounts. Demo password: {DEMO_PASSWORD}")


users_group = click.Group("users", help="Manage accounts.")


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--organisation", "organisation_code", required=True, help="Organisation code, e.g. RDE.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--group", "group_code", default=None, help="Subordinate group code, for a chair.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(
    email: str, name: str, organisation_code: str, role: str, group_code: str | None, password: str
) -> None:
    """Add an account."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.code == organisation_code))
    group = (
        db.session.scalar(select(SubordinateGroup).where(SubordinateGroup.code == group_code)) if group_code else None
    )
    try:
        user = operations.create_user(
            email=email, name=name, password=password, organisation=organisation, role=Role(role), group=group
        )
    except OperationError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.title}, {user.organisation.name}).")


@users_group.command("list")
def list_users_command() -> None:
    """List accounts."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        state = "active" if user.active else "disabled"
        click.echo(f"{user.email}\t{user.role.value}\t{user.organisation.code}\t{state}")


audit_group = click.Group("audit", help="The audit trail.")


@audit_group.command("verify")
@click.option("--checkpoints", "checkpoint_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A checkpoint file (or a saved checkpoint mail) to check against, besides the server's own.")
def verify_command(checkpoint_files: tuple[str, ...]) -> None:
    """Check the keyed hash chain and the signed checkpoints; name the first broken event and exit 1 if any."""
    from pathlib import Path

    from govern.audit import checkpoints

    try:
        found = checkpoints.load()
        for name in checkpoint_files:
            found += checkpoints.load(Path(name))
    except checkpoints.CheckpointError as error:
        click.echo(f"Audit trail NOT VERIFIED: {error}.", err=True)
        sys.exit(1)
    result = chain.verify(found)
    if result.ok:
        against = f", against {len(found)} signed checkpoints" if found else ""
        click.echo(f"Audit trail intact: {result.checked} events verified{against}.")
        return
    click.echo(
        f"Audit trail BROKEN at event {result.broken_seq}"
        + (f" (id {result.broken_id})" if result.broken_id is not None else "")
        + f": {result.reason}. {result.checked} events before it verified.",
        err=True,
    )
    sys.exit(1)


@audit_group.command("checkpoint")
def checkpoint_command() -> None:
    """Publish a signed checkpoint now: to the checkpoint file and by mail (sent by the next tick)."""
    from govern.audit import checkpoints

    checkpoint = checkpoints.publish_checkpoint()
    db.session.commit()
    click.echo(f"Checkpoint: {checkpoint.seq} events, ending in {checkpoint.hash[:12]}…, "
               f"appended to {checkpoints.checkpoint_file()}.")


@audit_group.command("public-key")
def public_key_command() -> None:
    """Print the public key checkpoints are signed with, for those who keep the mailed copies."""
    from govern.audit.keys import public_key_hex, signing_key

    click.echo(public_key_hex(signing_key().public_key()))


@click.command("tick")
@click.option("--no-send", is_flag=True, help="Run the reminder sweep only; leave the outbox for later.")
def tick_command(no_send: bool) -> None:
    """Send the deadline reminders that are due, then the outbox. Run it every few minutes (README)."""
    from govern.audit import checkpoints
    from govern.deadlines.sweep import send_reminders
    from govern.notify.sender import deliver_outbox

    try:
        swept = send_reminders()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Reminders: {swept.reminders} sent for {swept.deadlines} deadlines.")
    if checkpoints.is_due():
        # Daily (AUDIT_CHECKPOINT_HOURS): where the audit chain ends, signed, to a file and by mail.
        checkpoint = checkpoints.publish_checkpoint()
        db.session.commit()
        click.echo(f"Audit checkpoint: {checkpoint.seq} events.")
    if not no_send:
        delivered = deliver_outbox()
        click.echo(f"Mail: {delivered.sent} sent, {delivered.retrying} to retry, {delivered.failed} failed.")


@click.command("rebuild-deadlines")
def rebuild_deadlines_command() -> None:
    """Recompute every dispute's deadlines for the sweep (after upgrading to deadline reminders). Idempotent."""
    from govern.core import clock
    from govern.deadlines.tracking import rebuild_all

    count = rebuild_all(clock.now())
    db.session.commit()
    click.echo(f"Deadlines recomputed for {count} disputes.")


def init_app(app: Flask) -> None:
    """Register the commands on the app's ``flask`` CLI."""
    for command in (seed_command, demo_command, users_group, audit_group, tick_command, rebuild_deadlines_command):
        app.cli.add_command(command)
