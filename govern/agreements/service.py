"""Which agreement the app runs, and loading a new version of it.

The running agreement is the newest loaded version of the configured agreement (``AGREEMENT_FILE``'s
key); a version's text never changes, so its parsed agreement is kept for the life of the process by
the text's digest, and reading the running version costs one small query (id and digest, not the
text) and no parsing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app, g
from sqlalchemy import bindparam, func, select

from govern.agreements.models import AgreementVersion
from govern.audit import chain
from govern.core import clock
from govern.extensions import db, read
from workflows import registry
from workflows.agreement import Agreement, parse_agreement
from workflows.definitions import ProcessDefinition

T = TypeVar("T")

BESPOKE = "bespoke"  # the process key of a process set out for one dispute (16.2 in Devon)


def configured_path() -> Path:
    """The agreement file this installation runs."""
    configured = current_app.config.get("AGREEMENT_FILE")
    return Path(configured) if configured else registry.default_path()


#: Parsed agreements by the SHA-256 of their text. A version's text never changes and its digest names
#: it, so a parsed agreement is kept for the life of the process and can never be stale: a version
#: loaded later (by this server or another) has a new digest, which the next request reads from the
#: database. Only the digest is read per request, never the text (about 40 KB) or a parse.
_PARSED: dict[str, Agreement] = {}
_PARSED_MAX = 32


def _parsed(digest: str, text: str | None = None) -> Agreement:
    """The agreement whose text has this digest (its text read from the database the first time)."""
    found = _PARSED.get(digest)
    if found is not None:
        return found
    if text is None:
        text = db.session.scalar(select(AgreementVersion.text).where(AgreementVersion.digest == digest))
        if text is None:  # pragma: no cover - the digest was just read from the same table
            raise LookupError(f"no agreement version with digest {digest}")
    agreement = registry.agreement_from_text(text)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[digest] = agreement
    return agreement


@lru_cache(maxsize=8)
def _configured_key(path: str, mtime_ns: int, size: int) -> str:
    """The agreement key of the file at ``path`` as it is now (read again when the file changes)."""
    return registry.agreement_from_text(Path(path).read_text(encoding="utf-8")).key


def _configured_file_key() -> str:
    path = configured_path()
    stat = path.stat()
    return _configured_key(str(path), stat.st_mtime_ns, stat.st_size)


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
    g.pop("govern_agreement_parsed", None)
    g.pop("govern_agreement_digests", None)
    return row, True


@dataclass(frozen=True)
class LoadedVersion:
    """A loaded version as plain values (safe to keep for the request, whatever the session does).
    Its text is read only when asked for (the parsed agreement is what pages use)."""

    id: int
    key: str
    version: int
    digest: str
    loaded_at: datetime

    @classmethod
    def of(cls, row: Any) -> LoadedVersion:
        return cls(row.id, row.key, row.version, row.digest, row.loaded_at)

    @property
    def text(self) -> str:
        """The version's text, exactly as loaded."""
        return str(db.session.scalar(select(AgreementVersion.text).where(AgreementVersion.id == self.id)))


_VERSION_COLUMNS = (AgreementVersion.id, AgreementVersion.key, AgreementVersion.version, AgreementVersion.digest,
                    AgreementVersion.loaded_at)
_CURRENT_VERSION = (select(*_VERSION_COLUMNS).where(AgreementVersion.key == bindparam("key"))
                    .order_by(AgreementVersion.version.desc()).limit(1))


def current_version() -> LoadedVersion:
    """The newest loaded version of the configured agreement (loading the file the first time): one
    small query a request (without the text), so a version loaded on another server is seen at once."""
    cached = g.get("govern_agreement")
    if cached is not None:
        return cached
    row = read(_CURRENT_VERSION, {"key": _configured_file_key()}).first()
    if row is None:
        row, _ = load_file(configured_path())
    g.govern_agreement = LoadedVersion.of(row)
    return g.govern_agreement


def _digest_of(version_id: int) -> str | None:
    """The digest of a stored version (read once a request per version)."""
    digests: dict[int, str | None] = g.setdefault("govern_agreement_digests", {})
    if version_id not in digests:
        digests[version_id] = db.session.scalar(
            select(AgreementVersion.digest).where(AgreementVersion.id == version_id)
        )
    return digests[version_id]


def agreement_of(version_id: int | None) -> Agreement:
    """The agreement of a stored version (None: the current one)."""
    if version_id is not None:
        running = g.get("govern_agreement")
        if running is None or running.id != version_id:
            digest = _digest_of(version_id)
            if digest is not None:
                return _parsed(digest)
    return current()


def current() -> Agreement:
    """The agreement the partnership runs now (read once a request; pages ask for it often)."""
    found = g.get("govern_agreement_parsed")
    if found is None:
        found = g.govern_agreement_parsed = _parsed(current_version().digest)
    return found


#: Values computed from a parsed agreement alone (a pure function of it), by (digest, name).
_DERIVED: dict[tuple[str, str], Any] = {}


def derived(name: str, compute: Callable[[Agreement], T]) -> T:
    """``compute(current())``, kept per agreement text for the life of the process (the choices of a
    filter, say, that every page of a list would otherwise work out again). ``compute`` must depend
    on the agreement alone, never on the database or the request."""
    digest = current_version().digest
    key = (digest, name)
    if key not in _DERIVED:
        if len(_DERIVED) >= 256:
            _DERIVED.clear()
        _DERIVED[key] = compute(current())
    return _DERIVED[key]


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
