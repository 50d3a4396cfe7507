"""``flask --app govern search rebuild``: write every search document again."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from govern.extensions import db


@click.group("search")
def search_group() -> None:
    """The search index."""


@search_group.command("rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Write every search document again from the disputes, papers and decisions (after an upgrade, or
    after rows were loaded in bulk). Searches keep working while it runs; it commits once at the end."""
    from govern.search.index import rebuild

    count = rebuild(db.session.connection())
    db.session.commit()
    click.echo(f"Search: {count} documents.")
