"""Which agreement the app runs, and loading a new version of it.

The running agreement is the newest loaded version of the configured agreement (``AGREEMENT_FILE``'s
key); parsed agreements are immutable and cached by their text, so reading the version costs one
small query and no parsing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app, g
from sqlalchemy import func, select

from govern.agreements.models import AgreementVersion
from govern.audit import chain
from govern.core import clock
from govern.extensions import db
from workflows import registry
from workflows.agreement import Agreement, parse_agreement
from workflows.definitions import ProcessDefinition

BESPOKE = "bespoke"  # the process key of a process set out for one dispute (16.2 in Devon)


def configured_path() -> Path:
    """The agreement file this installation runs."""
    configured = current_app.config.get("AGREEMENT_FILE")
    return Path(configured) if configured else registry.default_path()


@lru_cache(maxsize=32)
def _parsed(version_id: int, text: str) -> Agreement:
    return registry.agreement_from_text(text)


def load_file(path: str | Path, user: Any = None, *, audit: bool = True) -> tuple[AgreementVersion, bool]:
    """Load the agreement file at ``path``: a new version if its text is new, else the version it is.

    Idempotent; the file is checked first (``AgreementError`` lists its mistakes). Returns the version
    and whether it was created. ``audit=False`` when a larger operation (seeding) records the one audit
    event itself. Never commits.
    """
    text = Path(path).read_text(encoding="utf-8")
    agreement = parse_agreement(text, source_name=Path(path).name)
    existing = db.session.scalar(select(AgreementVersion).where(AgreementVersion.digest == agreement.digest))
    if existing is not None:
        return existing, False
    latest = db.session.scalar(select(func.max(AgreementVersion.version)).where(AgreementVersion.key == agreement.key))
    row = AgreementVersion(
        key=agreement.key,
        version=(latest or 0) + 1,
        digest=agreement.digest,
        title=agreement.title,
        text=text,
        loaded_at=clock.now(),
        loaded_by_id=getattr(user, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    if audit:
        chain.record("load_agreement", "agreement", row.id,
                     {"key": [None, row.key], "version": [None, row.version], "digest": [None, row.digest]},
                     actor=user)
    g.pop("govern_agreement", None)
    return row, True


@dataclass(frozen=True)
class LoadedVersion:
    """A loaded version as plain values (safe to keep for the request, whatever the session does)."""

    id: int
    key: str
    version: int
    digest: str
    text: str
    loaded_at: datetime

    @classmethod
    def of(cls, row: AgreementVersion) -> LoadedVersion:
        return cls(row.id, row.key, row.version, row.digest, row.text, row.loaded_at)


def current_version() -> LoadedVersion:
    """The newest loaded version of the configured agreement (loading the file the first time)."""
    cached = g.get("govern_agreement")
    if cached is not None:
        return cached
    key = registry.agreement_from_text(configured_path().read_text(encoding="utf-8")).key
    row = db.session.scalar(
        select(AgreementVersion).where(AgreementVersion.key == key).order_by(AgreementVersion.version.desc()).limit(1)
    )
    if row is None:
        row, _ = load_file(configured_path())
    g.govern_agreement = LoadedVersion.of(row)
    return g.govern_agreement


def agreement_of(version_id: int | None) -> Agreement:
    """The agreement of a stored version (None: the current one)."""
    if version_id is None:
        loaded = current_version()
        return _parsed(loaded.id, loaded.text)
    row = db.session.get(AgreementVersion, version_id)
    if row is None:  # pragma: no cover - a foreign key guards it
        loaded = current_version()
        return _parsed(loaded.id, loaded.text)
    return _parsed(row.id, row.text)


def current() -> Agreement:
    """The agreement the partnership runs now."""
    row = current_version()
    return _parsed(row.id, row.text)


def definition(process_key: str, version_id: int | None = None, bespoke: Any = None) -> ProcessDefinition:
    """A case's process: declared by its agreement version, or the bespoke process set out for it."""
    agreement = agreement_of(version_id)
    if bespoke is not None:
        return registry.bespoke(bespoke, agreement)
    return registry.get(process_key, agreement)


def offered_dispute(process_key: str = "ratification") -> str | None:
    """The dispute process the agreement offers a party whose Board does not ratify a decision (the
    ``offer_dispute`` effect in the ratification process: Scenario 2 in Devon), if any."""
    decl = current().declaration.processes.get(process_key)
    for transition in decl.transitions if decl is not None else []:
        for ref in transition.effects:
            if isinstance(ref, dict) and "offer_dispute" in ref:
                return str((ref["offer_dispute"] or {}).get("process"))
    return None
