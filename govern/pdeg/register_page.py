"""The ratification register page's rows, written as markup: a row per decision with where it stands,
its forecast and its list of the parties' Boards.

A page lists 50 decisions by 14 parties: 700 Board entries. Written by the template, each entry cost
a dozen lookups, filters and calls (the party's names, the Board's words for the state, the tag), and
each row a dozen more; here each party's entry for each Board state is written once, a row's list joins
the entries with the row's reference, and a row is one join of escaped pieces. The markup is the
template's own, character for character (``tests/test_register_page.py`` renders both). Nothing here
decides anything: the states' meanings are :mod:`govern.pdeg.states`', the words :mod:`govern.pdeg.queries`'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from govern.boards import forecast as board_forecast
from govern.boards.dates import day_words
from govern.boards.forecast import Forecast
from govern.pdeg import queries, states
from govern.pdeg.queries import RegisterRow
from govern.web.template_helpers import local_date, nhs_tag
from govern.web.urls import id_url_for

_LIST_START = '\n        <ul class="nhsuk-list govern-boards">'
_LIST_END = "\n        </ul>"
_NONE = '<span class="nhsuk-u-secondary-text-colour">None: it does not go to the Boards</span>'
_FORECAST = '<br><span class="nhsuk-u-font-size-16" id="forecast-{}">{}</span>'
_NOT_YET_SENT = Markup(' class="nhsuk-u-font-size-16 nhsuk-u-secondary-text-colour">Not yet sent')


@lru_cache(maxsize=1024)
def _entry(name: str, short_name: str, board_name: str, code: str, state_words: tuple[str, str] | None
           ) -> tuple[str, str]:
    """A party's entry in a row's list of Boards, as the two pieces either side of the row's reference
    (``<li>...<span id="cell-`` and ``-CODE" ...>...</span></li>``), escaped. ``state_words``: the Board
    state's title and tag colour, or None for "Not yet sent". Derived from its arguments alone."""
    head = Markup('\n          <li><abbr title="{}">{}</abbr> <span class="nhsuk-u-secondary-text-colour">'
                  '({})</span> <span id="cell-').format(name, short_name, board_name)
    if state_words is None:
        body = _NOT_YET_SENT
    else:
        body = Markup(">") + nhs_tag(state_words[0].replace("Board", board_name), state_words[1])
    return str(head), str(Markup("-{}\"{}</span></li>").format(code, body))


class _Entries:
    """Each party's entry for each Board state, looked up once a request (the state's words once too)."""

    def __init__(self) -> None:
        self._made: dict[tuple[int, str | None], tuple[str, str]] = {}
        self._words: dict[str, tuple[str, str]] = {}

    def of(self, party_id: int, party: Any, state: str | None) -> tuple[str, str]:
        """The pieces for ``party`` with its Board in ``state`` (None: not yet sent)."""
        found = self._made.get((party_id, state))
        if found is None:
            words = None
            if state is not None:
                words = self._words.get(state)
                if words is None:
                    words = self._words[state] = (queries.BOARD_STATUS_TITLES[state],
                                                  queries.BOARD_STATUS_COLOURS[state])
            found = _entry(party.name, party.short_name, party.board_name, party.code, words)
            self._made[(party_id, state)] = found
        return found


def boards_list(rows: Sequence[RegisterRow], parties: Sequence[Any]) -> dict[int, Markup]:
    """Each row's list of the parties' Boards (by decision id): a party's Board with a ratification shows
    where it stands; one affected by a decision PDEG has not yet decided, ``Not yet sent``; a decision
    with neither says it does not go to the Boards."""
    entries = _Entries()
    before_pdeg = states.before_pdeg()
    listed = [(p, p.id, p.is_party) for p in parties]
    found: dict[int, Markup] = {}
    for row in rows:
        rec = row.recommendation
        cells = row.cells
        unsent = row.affected_ids if rec.state in before_pdeg else ()
        reference = str(escape(rec.reference))
        parts = [_LIST_START]
        for party, party_id, is_party in listed:
            cell = cells.get(party_id)
            if cell is not None:
                head, tail = entries.of(party_id, party, cell.state)
            elif is_party and party_id in unsent:
                head, tail = entries.of(party_id, party, None)
            else:
                continue
            parts += (head, reference, tail)
        empty = len(parts) == 1
        parts.append(_LIST_END)
        if empty:
            parts.append(_NONE)
        # Every piece is escaped markup already: the entries, the escaped reference, the constants.
        found[rec.id] = Markup("".join(parts))  # noqa: S704
    return found


def forecast_cell(reference: str, forecast: Forecast | None) -> Markup:
    """A decision's forecast in its register row: when every remaining Board will have met, or why that
    cannot be said, and which Boards it waits for (empty for a decision not with the Boards)."""
    if forecast is None:
        return Markup("")
    if forecast.complete_by:
        text = f"Forecast: {day_words(forecast.complete_by)}"
    elif forecast.refusing:
        text = "No forecast: not ratified by " + ", ".join(o.code for o in forecast.refusing)
    else:
        text = "No Board date known for " + ", ".join(o.code for o in forecast.unknown)
    if forecast.remaining:
        text += ". Waiting for " + ", ".join(b.organisation.code for b in forecast.remaining)
    # The reference is escaped already (the row's), the text is escaped here.
    return Markup(_FORECAST.format(reference, escape(text)))  # noqa: S704


#: A decision's row, as the template wrote it; every value is escaped before it goes in.
_ROW = (
    '\n    <tr class="nhsuk-table__row" id="row-{reference}">\n'
    '      <td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Decision '
    '</span><span><a href="{address}">{reference}</a> {title}<br><span class="nhsuk-u-font-size-16 '
    'nhsuk-u-secondary-text-colour">{raised_by}{met}</span></span></td>\n'
    '      <td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Where it '
    'stands </span><span>{status} <span class="nhsuk-u-font-size-16 nhsuk-u-secondary-text-colour">({clause})'
    '</span>{forecast}</span></td>\n'
    '      <td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Each '
    "party's Board </span>{boards}\n"
    '      </td>\n'
    '    </tr>'
)


def rows_markup(rows: Iterable[RegisterRow], parties: Sequence[Any]) -> Markup:
    """The register table's rows (``<tr>`` each): the decision, its reference linked, who raised it and
    its PDEG meeting; where it stands, with its clause and forecast; and each party's Board."""
    rows = list(rows)
    forecasts = board_forecast.for_register(rows)
    boards = boards_list(rows, parties)
    decision = id_url_for("pdeg.recommendation", "recommendation_id")
    written = []
    for row, (status, clause) in zip(rows, queries.state_titles(rows), strict=True):
        rec = row.recommendation
        reference = escape(rec.reference)
        met = rec.agenda_meeting_date
        written.append(_ROW.format(
            reference=reference, address=escape(decision(rec.id)),
            title=escape(rec.title), raised_by=escape(row.raised_by),
            met=escape(f"; PDEG {local_date(met)}") if met else "", status=escape(status),
            clause=escape(queries.clause_short(clause)), forecast=forecast_cell(reference, forecasts.get(rec.id)),
            boards=boards[rec.id],
        ))
    # Every value was escaped as it went in (the forecast and the Boards' lists are markup already).
    return Markup("".join(written))  # noqa: S704
