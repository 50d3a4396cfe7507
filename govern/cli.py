"""Command-line commands: ``seed``, ``demo``, ``users create``, ``audit verify|checkpoint|public-key``, ``tick``,
``rebuild-deadlines``.

Each command runs its operation and commits once at the end, or rolls everything back.
"""

from __future__ import annotations

import logging
import sys

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from govern.audit import chain
from govern.auth import operations
from govern.auth.models import Role, User
from govern.core.errors import OperationError
from govern.extensions import db
from govern.partnership.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo
from govern.partnership.models import Organisation, SubordinateGroup
from govern.partnership.seed import seed_partnership


@click.command("seed")
def seed_command() -> None:
    """Load the partnership's agreement file: its parties, groups, principles. Running it twice changes nothing."""
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
    click.echo(f"The demo administrator and STP Leader also give a code from an authenticator app set up "
               f"with the key {DEMO_TOTP_SECRET} (README, demo accounts).")
    click.echo(f"Demo loaded: {added} new accounts. Demo password: {DEMO_PASSWORD}")


users_group = click.Group("users", help="Manage accounts.")


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--organisation", "organisation_code", required=True, help="Organisation code, e.g. RDE.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--group", "group_code", default=None, help="Subordinate group code, for a chair.")
@click.option(
    "--show-link", is_flag=True,
    help="Also print an invitation link (for the first administrator, before mail works); "
    "the mailed one then stops working.",
)
def create_user_command(
    email: str, name: str, organisation_code: str, role: str, group_code: str | None, show_link: bool
) -> None:
    """Add an account; the person is emailed a link to choose their own password."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.code == organisation_code))
    group = (
        db.session.scalar(select(SubordinateGroup).where(SubordinateGroup.code == group_code)) if group_code else None
    )
    try:
        user = operations.create_user(
            email=email, name=name, organisation=organisation, role=Role(role), group=group
        )
        # The link is the person's, not the operator's: printed only on request, and it works once.
        link = operations.invitation_link(user) if show_link else None
    except OperationError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.title}, {user.organisation.name}). "
               "An invitation to choose a password is in the outbox (sent by `flask --app govern tick`).")
    if link:
        click.echo(f"Invitation link (works once, for {operations.INVITATION_LIFETIME.days} days): {link}")


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
@click.option("--no-send", is_flag=True,
              help="Run the reminder sweep only; leave the outbox and Board packs for later.")
def tick_command(no_send: bool) -> None:
    """Send the deadline reminders that are due, then the outbox until it is empty (or the time budget
    has passed), then make the Board packs asked for. Run it every few minutes (README, Production)."""
    from govern.actions.reminders import send_action_reminders
    from govern.audit import checkpoints
    from govern.boards.chasing import chase_board_secretaries
    from govern.deadlines.sweep import send_reminders
    from govern.interests.reminders import send_annual_reminders
    from govern.notify.sender import deliver_outbox
    from govern.ops.health import SWEEP, record_heartbeat
    from govern.records.packs import make_board_packs

    try:
        swept = send_reminders()
        # Board secretaries chased about decisions their Board has not yet decided (10.6).
        chase_board_secretaries()
        send_annual_reminders()  # the register of interests: each person once a year
        send_action_reminders()  # actions following decisions and outcomes: a week before, and on the day
        # In the sweep's transaction: the heartbeat says a sweep finished only if it did.
        record_heartbeat(SWEEP, {"deadlines": swept.deadlines, "reminders": swept.reminders})
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
    if no_send:
        return
    delivered = deliver_outbox()
    made, failed = make_board_packs()
    if made:  # the secretaries' "your pack is ready" go now, not at the next tick
        more = deliver_outbox()
        delivered = type(delivered)(delivered.sent + more.sent, delivered.retrying + more.retrying,
                                    delivered.failed + more.failed)
    click.echo(f"Mail: {delivered.sent} sent, {delivered.retrying} to retry, {delivered.failed} failed.")
    click.echo(f"Board packs: {made} made, {failed} failed.")
    logging.getLogger("govern.tick").info("tick", extra={
        "deadlines": swept.deadlines, "reminders": swept.reminders, "mail_sent": delivered.sent,
        "mail_retrying": delivered.retrying, "mail_failed": delivered.failed, "packs_made": made,
        "packs_failed": failed})


@click.command("health")
def health_command() -> None:
    """Say whether the tick is sweeping and mail is leaving; exit 1 if not (for monitoring)."""
    from govern.ops.health import age_words, tick_status

    status = tick_status()
    if status.last_sweep_at is None:
        click.echo("Last sweep: never.")
    else:
        click.echo(f"Last sweep: {status.last_sweep_at.isoformat()} ({age_words(status.sweep_age_seconds or 0)} ago).")
    click.echo(f"Mail: {status.waiting} waiting, {status.failed} failed.")
    if not status.problems:
        click.echo("Healthy.")
        return
    click.echo("UNHEALTHY: " + "; ".join(status.problems) + ".", err=True)
    sys.exit(1)


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
    from govern.agreements.cli import agreement_group
    from govern.search.cli import search_group

    for command in (seed_command, demo_command, users_group, audit_group, tick_command, health_command,
                    rebuild_deadlines_command, agreement_group, search_group):
        app.cli.add_command(command)
