"""Supporting papers for disputes and PDEG recommendations: upload, store, list, download.

Public API: :func:`operations.attach_file`, :func:`queries.attachments_for`,
:func:`access.register_case_loader`, the ``attachments`` blueprint and the template macro
``attachment_list`` in ``templates/attachments/_list.html``. :func:`init_app` runs when the
blueprint is registered.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask, url_for
from werkzeug.routing import BuildError

from govern.attachments import access, storage
from govern.cases.models import CaseKind
from govern.extensions import db


def _url_or_none(endpoint: str, **values: Any) -> str | None:
    # The case pages belong to other features; until one exists, an upload returns home.
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def register_cases() -> None:
    """Disputes and recommendations take attachments (models imported here, lazily, so that
    neither feature has to know about attachments)."""
    from govern.disputes.models import Dispute
    from govern.pdeg.models import Recommendation

    access.register_case_loader(
        CaseKind.DISPUTE,
        lambda case_id: db.session.get(Dispute, case_id),
        url=lambda case: _url_or_none("disputes.show", dispute_id=case.id),
    )
    access.register_case_loader(
        CaseKind.RECOMMENDATION,
        lambda case_id: db.session.get(Recommendation, case_id),
        url=lambda case: _url_or_none("pdeg.recommendation", recommendation_id=case.id),
    )


@click.group("attachments", help="Attachment files.")
def attachments_cli() -> None:
    """Commands for stored attachment files."""


@attachments_cli.command("remove-orphans")
def remove_orphans_command() -> None:
    """Delete stored files no attachment names (left by a crash between upload and commit)."""
    removed = storage.remove_orphans()
    click.echo(f"Removed {len(removed)} orphaned files." if removed else "No orphaned files.")


def init_app(app: Flask) -> None:
    """Settings and upload folder, the case registry, template helpers and the CLI command."""
    from govern.attachments.operations import accepted_hint

    storage.configure(app)
    register_cases()
    app.jinja_env.filters["file_size"] = storage.human_size
    app.jinja_env.globals["attachment_hint"] = accepted_hint
    app.cli.add_command(attachments_cli)
