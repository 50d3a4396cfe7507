"""Where the app gets a process definition: by key, or built from a stored bespoke spec."""

from __future__ import annotations

from .bespoke import build
from .definitions import ProcessDefinition
from .processes import DEFINITIONS

__all__ = ["bespoke", "get", "process_keys"]


def get(process_key: str) -> ProcessDefinition:
    """The declared process ``scenario_1``..``scenario_4``, ``recommendation`` or ``ratification``."""
    try:
        return DEFINITIONS[process_key]
    except KeyError:
        raise KeyError(f"no declared process {process_key!r}; bespoke processes come from bespoke()") from None


def process_keys() -> tuple[str, ...]:
    """The keys of every declared process."""
    return tuple(DEFINITIONS)


def bespoke(spec: object, *, title: str = "Bespoke dispute process") -> ProcessDefinition:
    """A bespoke dispute process (16.2) from its JSON-serialisable spec; raises SpecError if invalid."""
    return build(spec, title=title)
