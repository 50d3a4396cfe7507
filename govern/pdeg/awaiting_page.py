"""The rows of a Board's "Awaiting our Board" list, written as markup.

Each of the page's 50 rows asked the template for three addresses, a date, the Board's words and tag
for the state and a dozen values; here a row is one join of escaped values into the template's own
markup, character for character (``tests/test_register_page.py`` renders both). The words are
:mod:`govern.pdeg.queries`', the states' meanings :mod:`govern.pdeg.states`'.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from govern.pdeg import queries
from govern.pdeg.queries import AwaitingItem
from govern.web.template_helpers import local_date, nhs_tag
from govern.web.urls import id_url_for

_HEADING = '<span class="nhsuk-table-responsive__heading" aria-hidden="true">'

#: A decision's row, as the template wrote it; every value is escaped before it goes in.
_ROW = (
    '\n    <tr class="nhsuk-table__row">\n'
    '      <td class="nhsuk-table__cell">' + _HEADING + 'Decision </span><a href="{decision}">{reference}: {title}</a>'
    '{variation}</td>\n'
    '      <td class="nhsuk-table__cell">' + _HEADING + 'Agreed at PDEG </span>{agreed}</td>\n'
    '      <td class="nhsuk-table__cell">' + _HEADING + 'Status </span>{status}</td>\n'
    '      <td class="nhsuk-table__cell"><a href="{record}">Record the decision<span class="nhsuk-u-visually-hidden">'
    ' on {reference}</span></a><br><a href="{pdf}" download>Ratification record (PDF)<span '
    'class="nhsuk-u-visually-hidden"> of {reference}</span></a></td>\n'
    '    </tr>'
)
_VARIATION = ' <span class="nhsuk-u-font-size-16 nhsuk-u-secondary-text-colour">(variation, clause 17.2)</span>'


def rows_markup(items: Iterable[AwaitingItem]) -> Markup:
    """The list's rows (``<tr>`` each): the decision linked, whether it varies the MoU, when PDEG agreed
    it, the Board's status, and the links to record the Board's decision and to its ratification record."""
    tags: dict[str, Markup] = {}
    decision = id_url_for("pdeg.recommendation", "recommendation_id")
    record = id_url_for("pdeg.ratification", "ratification_id")
    pdf = id_url_for("records.recommendation_record", "recommendation_id")
    written = []
    for item in items:
        tag = tags.get(item.state)
        if tag is None:
            tag = tags[item.state] = nhs_tag(queries.BOARD_STATUS_TITLES[item.state],
                                             queries.BOARD_STATUS_COLOURS[item.state])
        written.append(_ROW.format(
            decision=escape(decision(item.recommendation_id)),
            reference=escape(item.reference), title=escape(item.title),
            variation=_VARIATION if item.is_variation else "", agreed=escape(local_date(item.created_at)),
            status=tag, record=escape(record(item.id)), pdf=escape(pdf(item.recommendation_id)),
        ))
    # Every value was escaped as it went in (the tag is markup already).
    return Markup("".join(written))  # noqa: S704
