"""Which cases take attachments, how to load one, and who may see or add its papers.

A paper is as private as its case: whoever may see the case (``case.can_view(user)``) may see and
download its papers; adding one needs ``case.can_attach(user)`` where the case defines it, else
``can_view``. Views answer 404, never 403, to anyone who may not see the case, so that a private
dispute's existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from govern.cases.models import CaseKind

CaseLoader = Callable[[int], Any | None]
CaseUrl = Callable[[Any], str | None]


@dataclass(frozen=True)
class _Registration:
    loader: CaseLoader
    url: CaseUrl | None


_registry: dict[CaseKind, _Registration] = {}


def register_case_loader(kind: CaseKind, loader: CaseLoader, *, url: CaseUrl | None = None) -> None:
    """Let cases of ``kind`` take attachments. ``loader(case_id)`` returns the case or None;
    ``url(case)``, if given, is the case's page (where an upload returns to)."""
    _registry[kind] = _Registration(loader, url)


def kind_from(value: str) -> CaseKind | None:
    """The registered kind named ``value`` (as in a URL), or None."""
    try:
        kind = CaseKind(value)
    except ValueError:
        return None
    return kind if kind in _registry else None


def load_case(kind: CaseKind, case_id: int) -> Any | None:
    """The case, or None if there is none or its kind takes no attachments."""
    registration = _registry.get(kind)
    return registration.loader(case_id) if registration is not None else None


def visible_case(kind: CaseKind, case_id: int, user: Any) -> Any | None:
    """The case if ``user`` may see it (and so its papers), else None."""
    case = load_case(kind, case_id)
    return case if case is not None and can_view(case, user) else None


def can_view(case: Any, user: Any) -> bool:
    """May ``user`` see the case's papers? A case may keep its papers from some who see the case
    itself (a dispute's panel before the papers are released to it; a PDEG member who declared a conflict
    on a Part Two item), via ``can_view_papers``."""
    if user is None or not user.is_authenticated:
        return False
    check = getattr(case, "can_view_papers", None) or case.can_view
    return bool(check(user))


def can_attach(case: Any, user: Any) -> bool:
    """May ``user`` add a paper to the case?"""
    if not can_view(case, user):
        return False
    check = getattr(case, "can_attach", None)
    return bool(check(user)) if callable(check) else True


def case_url(kind: CaseKind, case: Any) -> str | None:
    """The case's page, if its kind registered one that can be built."""
    registration = _registry.get(kind)
    return registration.url(case) if registration is not None and registration.url is not None else None
