"""Where the engine's process definitions come from: agreement files, parsed once per text.

An agreement's processes are data (``workflows.agreement``); a parsed agreement is immutable, so it is
cached by the text it came from (a new version of the file is a new text).  ``default()`` is the
agreement the app runs unless told otherwise: the file named by ``GOVERN_AGREEMENT_FILE``, else the
first agreement in ``agreements/`` (Devon's).  ``bespoke`` builds a process set out for one dispute
(16.2): the shape chosen from the agreement's ``bespoke`` shapes, with its deadlines as set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from .agreement import Agreement, bespoke_definition, parse_agreement
from .definitions import ProcessDefinition

__all__ = ["AGREEMENTS", "agreement_from_text", "bespoke", "default", "default_path", "get", "process_keys"]

#: The agreement files that ship with govern.
AGREEMENTS = Path(__file__).resolve().parent.parent / "agreements"


def default_path() -> Path:
    """The agreement file the app runs: ``GOVERN_AGREEMENT_FILE`` or the bundled Devon MoU."""
    configured = os.environ.get("GOVERN_AGREEMENT_FILE")
    return Path(configured) if configured else AGREEMENTS / "devon-stp-2016.yaml"


@lru_cache(maxsize=16)
def agreement_from_text(text: str) -> Agreement:
    """The agreement in ``text`` (parsed and checked once per distinct text)."""
    return parse_agreement(text)


#: The file last read by ``default()``: (path, modification time, size) and its agreement.
_last_read: tuple[tuple[str, int, int], Agreement] | None = None


def default() -> Agreement:
    """The agreement at ``default_path()`` (read again only when the file changes)."""
    global _last_read
    path = default_path()
    stat = path.stat()
    stamp = (str(path), stat.st_mtime_ns, stat.st_size)
    if _last_read is None or _last_read[0] != stamp:
        _last_read = (stamp, agreement_from_text(path.read_text(encoding="utf-8")))
    return _last_read[1]


def get(process_key: str, agreement: Agreement | None = None) -> ProcessDefinition:
    """A process the agreement declares (KeyError naming the declared ones if there is none)."""
    chosen = agreement or default()
    try:
        return chosen.processes[process_key]
    except KeyError:
        declared = ", ".join(chosen.processes)
        raise KeyError(f"no declared process {process_key!r} (declared: {declared}; bespoke processes come "
                       "from bespoke())") from None


def process_keys(agreement: Agreement | None = None) -> tuple[str, ...]:
    """The keys of every declared process."""
    return tuple((agreement or default()).processes)


@lru_cache(maxsize=256)
def _bespoke(agreement: Agreement, document_json: str) -> ProcessDefinition:
    return bespoke_definition(agreement, "bespoke", json.loads(document_json))


def bespoke(document: Mapping[str, Any], agreement: Agreement | None = None) -> ProcessDefinition:
    """A process set out (16.2) from its choice, ``{"shape": key, "deadlines": {step: {"amount": n, "unit": u}}}``;
    raises SpecError listing every mistake."""
    return _bespoke(agreement or default(), json.dumps(document, sort_keys=True, default=str))
