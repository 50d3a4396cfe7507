"""The dispute list, a page at a time: filters and order people use, read from indexes.

Filters: where a dispute stands (open, any, or one state), its scenario, a party, and whether its
next step is overdue or due within a week. Orders: soonest next step first (overdue first; what has
nothing waiting comes last), or newest first. Which scenarios and states there are comes from the
process definitions (the ``workflows`` registry), never from names written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select, tuple_

from govern.agreements import service
from govern.deadlines.dashboard import scenario_title
from govern.disputes.models import Dispute, DisputeParty
from govern.disputes.presenters import DisputeRow, dispute_rows, visible_disputes_query
from govern.extensions import db
from govern.web import paging
from workflows.definitions import ProcessDefinition

#: How far ahead "due this week" looks.
WEEK = timedelta(days=7)


def dispute_processes() -> tuple[ProcessDefinition, ...]:
    """Every process a dispute can follow under the partnership's agreement: the declared ones, then
    (where the agreement has one) the process for a dispute none fits (16.2). Worked out once per
    agreement text (``service.derived``): it depends on nothing else."""
    return service.derived("dispute_processes", _dispute_processes)


def _dispute_processes(agreement: Any) -> tuple[ProcessDefinition, ...]:
    from govern.disputes.operations import filing_definition

    declared = tuple(agreement.dispute_processes)
    if agreement.declaration.bespoke is None:
        return declared
    return (*declared, filing_definition(service.BESPOKE))


def scenario_choices() -> list[tuple[str, str]]:
    """(process key, 'Scenario 2') for the scenario filter."""
    return [(d.key, scenario_title(d.key)) for d in dispute_processes()]


def state_choices() -> list[tuple[str, str]]:
    """(state name, its title) for every state a dispute process has, in the processes' order."""
    titles: dict[str, str] = {}
    for definition in dispute_processes():
        for state in definition.states:
            titles.setdefault(state.name, state.title)
    return list(titles.items())


@dataclass(frozen=True)
class DisputeFilters:
    """What the list is filtered and ordered by; every value as it comes from the address."""

    state: str = "open"  # "open", "any", or a state name
    scenario: str = ""
    party_id: int | None = None
    due: str = ""  # "", "overdue", or "week"
    sort: str = "due"  # "due" (soonest next step first) or "newest"


def _filtered(user: Any, filters: DisputeFilters, now: datetime) -> Select[Any]:
    query = visible_disputes_query(user)
    known_states = {name for name, _ in state_choices()}
    if filters.state == "open":
        query = query.where(Dispute.closed_at.is_(None))
    elif filters.state in known_states:
        query = query.where(Dispute.state == filters.state)
    if filters.scenario in {key for key, _ in scenario_choices()}:
        query = query.where(Dispute.process_key == filters.scenario)
    if filters.party_id:
        query = query.where(Dispute.id.in_(
            select(DisputeParty.dispute_id).where(DisputeParty.organisation_id == filters.party_id)))
    if filters.due == "overdue":
        query = query.where(Dispute.next_due_at < now)
    elif filters.due == "week":
        query = query.where(Dispute.next_due_at <= now + WEEK)
    return query


#: What a list row shows of a dispute (and the API's list gives): its own columns, read as plain rows.
#: A relationship, or any other column, is not there to be read by accident once per row.
LIST_COLUMNS = (Dispute.id, Dispute.reference, Dispute.title, Dispute.process_key, Dispute.state,
                Dispute.agreement_version_id, Dispute.bespoke_spec, Dispute.created_at, Dispute.closed_at,
                Dispute.next_due_at)


def _rows(query: Select[Any], limit: int) -> list[Any]:
    return list(db.session.execute(query.with_only_columns(*LIST_COLUMNS).limit(limit)).all())


def disputes_page(user: Any, filters: DisputeFilters, cursor: str | None, now: datetime,
                  size: int = paging.PAGE_SIZE) -> paging.Page[DisputeRow]:
    """One page of ``size`` disputes ``user`` may see, with the number that match in all."""
    query = _filtered(user, filters, now)
    after = paging.decode(cursor)
    if filters.sort == "newest":
        keys = (Dispute.created_at, Dispute.id)
        if after is not None and len(after) == 2:
            last = tuple_(*[bindparam(None, v, type_=k.type) for k, v in zip(keys, after, strict=True)])
            query_page = query.where(tuple_(*keys) < last)
        else:
            query_page = query
        found = _rows(query_page.order_by(Dispute.created_at.desc(), Dispute.id.desc()), size + 1)
        cursor_of = [(d.created_at, d.id) for d in found]
    else:
        found, cursor_of = _by_next_step(query, after, size)
    more = len(found) > size
    found = found[:size]
    next_cursor = paging.encode(cursor_of[size - 1]) if more else None
    # Counted by id alone: the database need not carry every column of every match to count it.
    total = paging.count(query.with_only_columns(Dispute.id))
    return paging.Page(dispute_rows(found, now), total, next_cursor, after is None)


def _by_next_step(query: Select[Any], after: tuple[Any, ...] | None,
                  size: int) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """Soonest next step first, then (ordered by id) those with nothing waiting. Each part is one
    range of an index; the cursor says which part the last page ended in."""
    due, ident = Dispute.next_due_at, Dispute.id
    found: list[Any] = []
    if after is None or after[0] == "due":
        waiting = query.where(due.is_not(None))
        if after is not None and len(after) == 3:
            last = tuple_(bindparam(None, after[1], type_=due.type), bindparam(None, after[2], type_=ident.type))
            waiting = waiting.where(tuple_(due, ident) > last)
        found = _rows(waiting.order_by(due, ident), size + 1)
    keys: list[tuple[Any, ...]] = [("due", d.next_due_at, d.id) for d in found]
    if len(found) <= size:
        idle = query.where(due.is_(None))
        if after is not None and after[0] == "idle" and len(after) == 2:
            idle = idle.where(ident > after[1])
        rest = _rows(idle.order_by(ident), size + 1 - len(found))
        found += rest
        keys += [("idle", d.id) for d in rest]
    return found, keys

