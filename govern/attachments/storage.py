"""Where attachment files live: ``UPLOAD_FOLDER`` (default ``<instance>/uploads``), never under ``static/``.

Every file is named by a random token the server chose (64 hex characters); no user input ever
goes into a path. Files are written to a temporary name in the same folder and renamed into place,
so a reader never sees half a file.

Files and rows are kept consistent with the database transaction: a file written during a
transaction that later rolls back is deleted when it ends (see :func:`_discard_uncommitted`). Only
a crash between the write and the commit can leave an orphan; :func:`remove_orphans` (CLI:
``flask --app govern attachments remove-orphans``) deletes files no row names.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from govern.core import clock
from govern.extensions import db

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_TOKEN = re.compile(r"[0-9a-f]{64}")
_TEMP_PREFIX = ".upload-"
_PENDING_KEY = "attachments.uncommitted_files"


def configure(app: Flask) -> None:
    """Default the settings, refuse a folder the web server would serve, and create the folder."""
    app.config.setdefault("UPLOAD_FOLDER", os.path.join(app.instance_path, "uploads"))
    app.config.setdefault("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)
    folder = Path(app.config["UPLOAD_FOLDER"]).resolve()
    if app.static_folder:
        static = Path(app.static_folder).resolve()
        if folder == static or static in folder.parents:
            raise RuntimeError(f"UPLOAD_FOLDER must not be inside the static folder ({static})")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def upload_folder() -> Path:
    """The folder of this app's files."""
    return Path(current_app.config["UPLOAD_FOLDER"])


def max_bytes() -> int:
    """The largest file accepted, in bytes (``ATTACHMENT_MAX_BYTES``)."""
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def human_size(size: int) -> str:
    """'10 MB', '350 KB', '12 bytes' (binary multiples, as file managers show them)."""
    if size >= 1024 * 1024:
        value, unit = size / (1024 * 1024), "MB"
    elif size >= 1024:
        value, unit = size / 1024, "KB"
    else:
        return f"{size} byte" if size == 1 else f"{size} bytes"
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def path_for(stored_name: str) -> Path:
    """The path of a stored file. Anything but a server-made token is refused, whatever its source."""
    if not _TOKEN.fullmatch(stored_name):
        raise ValueError("not a stored attachment name")
    return upload_folder() / stored_name


def save(data: bytes) -> str:
    """Write ``data`` under a new random name, atomically; return the name.

    The file is deleted again if the current database transaction rolls back.
    """
    folder = upload_folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stored_name = secrets.token_hex(32)
    fd, temp_path = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_path, 0o600)
        os.replace(temp_path, folder / stored_name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_path)
        raise
    db.session.info.setdefault(_PENDING_KEY, []).append(str(folder / stored_name))
    return stored_name


def delete(stored_name: str) -> None:
    """Remove a stored file (no error if it is already gone)."""
    path_for(stored_name).unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _keep_committed(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _discard_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # After a commit the list is already empty; at the end of any other outermost transaction
    # (rollback, close), the rows naming these files are gone, so the files go too.
    if transaction.parent is not None:
        return
    for path in session.info.pop(_PENDING_KEY, []):
        with contextlib.suppress(OSError):
            os.unlink(path)


def remove_orphans(older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Delete stored files that no attachment row names, and abandoned temporary files.

    Only files older than ``older_than`` are touched, so an upload whose transaction has not yet
    committed is left alone. Returns the names removed.
    """
    from govern.attachments.models import Attachment

    folder = upload_folder()
    if not folder.is_dir():
        return []
    known = set(db.session.scalars(select(Attachment.stored_name)))
    cutoff = clock.now().timestamp() - older_than.total_seconds()
    removed = []
    for path in folder.iterdir():
        ours = _TOKEN.fullmatch(path.name) or path.name.startswith(_TEMP_PREFIX)
        if not ours or not path.is_file() or path.name in known or path.stat().st_mtime > cutoff:
            continue
        path.unlink(missing_ok=True)
        removed.append(path.name)
    return sorted(removed)
