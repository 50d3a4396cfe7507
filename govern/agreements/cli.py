"""``flask --app govern agreement check | preview | load``: the programme office's tools for agreement files."""

from __future__ import annotations

import sys
from datetime import date, datetime, time
from pathlib import Path

import click

from govern.extensions import db
from workflows.agreement import AgreementError, load_agreement
from workflows.deadlines import due_with_working
from workflows.definitions import ProcessDefinition

agreement_group = click.Group("agreement", help="Check, preview and load agreement files.")


@agreement_group.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_command(path: Path) -> None:
    """Check an agreement file: every mistake with its path, line and clause; exit 1 if there are any."""
    try:
        agreement = load_agreement(path)
    except AgreementError as error:
        click.echo(f"{path}: {len(error.issues)} mistake{'s' if len(error.issues) != 1 else ''}", err=True)
        for issue in error.issues:
            click.echo(f"  {issue}", err=True)
        sys.exit(1)
    processes = ", ".join(agreement.processes)
    count = len(agreement.processes)
    click.echo(f"{path}: {agreement.title} ({agreement.key}) is valid: {count} process{'es' if count != 1 else ''} "
               f"({processes}); {len(agreement.declaration.partnership.parties)} organisations.")


def preview_lines(definition: ProcessDefinition, start: date) -> list[str]:
    """Each step of ``definition`` with its due date from a case notified on ``start``, each step done on
    its due day (a step with no deadline the day it can start), and the working of every date."""
    zone = definition.calendar.zone
    moment = datetime.combine(start, time(12, 0), tzinfo=zone)
    events: dict[str, datetime] = {}
    recorded_with: dict[str, set[str]] = {}
    for t in definition.transitions:
        for name in t.events:
            recorded_with.setdefault(name, set()).update(t.events)
    lines = [f"{definition.title} ({definition.clause})"]
    for step in definition.steps:
        if not step.follows and step.deadline is None:
            when = moment
        else:
            needed = [*step.follows, *(step.deadline.after if step.deadline else ())]
            missing = [n for n in needed if n not in events]
            if missing:
                lines.append(f"  {step.title} ({step.clause}): waits on {', '.join(missing)}")
                continue
            when = max(events[n] for n in needed)
        counted = due_with_working(step, events)
        if counted is not None:
            due, working = counted
            when = datetime.combine(due, time(12, 0), tzinfo=zone)
            lines.append(f"  {step.title} ({step.clause}): due {due:%a} {due.day} {due:%b %Y}. {working}")
        else:
            lines.append(f"  {step.title} ({step.clause}): no timescale in the agreement")
        for name in {step.done_event, *recorded_with.get(step.done_event, set())}:
            events.setdefault(name, when)
    return lines


@agreement_group.command("preview")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--start", "start", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="A sample day a case is notified on (YYYY-MM-DD).")
@click.option("--process", "process_key", default=None, help="Only this process.")
def preview_command(path: Path, start: datetime, process_key: str | None) -> None:
    """Each process's due dates from a sample start, with the working of each date."""
    try:
        agreement = load_agreement(path)
    except AgreementError as error:
        for issue in error.issues:
            click.echo(f"  {issue}", err=True)
        sys.exit(1)
    for key, definition in agreement.processes.items():
        if process_key and key != process_key:
            continue
        if not any(s.deadline for s in definition.steps):
            continue
        click.echo("\n".join(preview_lines(definition, start.date())))
        click.echo("")


@agreement_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_command(path: Path) -> None:
    """Load an agreement file as a new version (nothing changes if this text is loaded already). Cases
    keep the version they started under; new cases follow the newest."""
    from govern.agreements.service import load_file

    try:
        version, created = load_file(path)
    except AgreementError as error:
        for issue in error.issues:
            click.echo(f"  {issue}", err=True)
        sys.exit(1)
    db.session.commit()
    if created:
        click.echo(f"Loaded {version.key} version {version.version} ({version.digest[:12]}).")
    else:
        click.echo(f"Already loaded: {version.key} version {version.version}; nothing changed.")
