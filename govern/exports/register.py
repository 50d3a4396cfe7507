"""The ratification register as rows for CSV or JSON, streamed a page at a time.

The rows come from :func:`govern.pdeg.queries.register`, the register page's own query (its filters
and who may see it), read page after page: memory and the queries per page do not grow with the data.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from govern.pdeg import queries
from govern.pdeg.queries import RegisterFilters, RegisterRow

#: Cells a spreadsheet would read as a formula start with one of these (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = ["Reference", "Title", "Raised by", "Status", "Clause", "PDEG meeting", "Variation of the MoU",
           "Parties affected", "Board outcomes"]


def neutralised(value: Any) -> str:
    """A cell as text, with a leading ``'`` when a spreadsheet would otherwise run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def rows(filters: RegisterFilters) -> Iterator[tuple[list[Any], RegisterRow]]:
    """Every decision in the register, newest first, with the party columns of its page."""
    cursor: str | None = None
    while True:
        parties, page = queries.register(filters, cursor)
        for row in page.items:
            yield parties, row
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _boards(parties: list[Any], row: RegisterRow) -> list[dict[str, Any]]:
    found = []
    for party in parties:
        cell = row.cells.get(party.id)
        if cell is None:
            continue
        found.append({
            "organisation": party.name, "code": party.code,
            "status": queries.BOARD_STATUS_TITLES[cell.state], "state": str(cell.state),
            "meeting_date": cell.meeting_date.isoformat() if cell.meeting_date else None,
            "minute_reference": cell.minute_reference or None,
        })
    return found


def as_dict(parties: list[Any], row: RegisterRow) -> dict[str, Any]:
    """One decision as the JSON export gives it."""
    rec = row.recommendation
    title, clause = queries.state_title(rec, row.cells.values(), row.organisations)
    return {
        "reference": rec.reference, "title": rec.title, "raised_by": row.raised_by,
        "status": title, "state": str(rec.state), "clause": clause,
        "pdeg_meeting": rec.agenda_meeting_date.isoformat() if rec.agenda_meeting_date else None,
        "variation": rec.is_variation,
        "parties_affected": [o.name for o in row.affected],
        "boards": _boards(parties, row),
    }


def csv_lines(filters: RegisterFilters) -> Iterator[str]:
    """The register as CSV (UTF-8 with a byte-order mark, so spreadsheets read it as such), a line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[Any]) -> str:
        writer.writerow([neutralised(v) for v in values])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line(COLUMNS)
    for parties, row in rows(filters):
        item = as_dict(parties, row)
        boards = "; ".join(
            f"{b['code']}: {b['status']}" + (f" ({b['meeting_date']}, {b['minute_reference']})"
                                             if b["meeting_date"] or b["minute_reference"] else "")
            for b in item["boards"])
        yield line([item["reference"], item["title"], item["raised_by"], item["status"], item["clause"],
                    item["pdeg_meeting"] or "", "Yes" if item["variation"] else "No",
                    "; ".join(item["parties_affected"]), boards])


def json_chunks(filters: RegisterFilters, produced_at: str) -> Iterator[str]:
    """The register as one JSON document, written a decision at a time."""
    yield '{"produced_at": ' + json.dumps(produced_at) + ', "decisions": ['
    first = True
    for parties, row in rows(filters):
        yield ("" if first else ",") + "\n" + json.dumps(as_dict(parties, row), ensure_ascii=False)
        first = False
    yield "\n]}\n"
