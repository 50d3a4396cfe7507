"""The register's and the Board's list's rows are written in Python (govern.pdeg.register_page,
govern.pdeg.awaiting_page) for speed (issue 14); the markup must stay the template's own.

Each test builds decisions in every kind of state a row shows (raised and not yet sent, decided within
delegated powers, with the Boards: awaiting, deferred, not ratified, ratified, a Board with a meeting
date and one without; a variation; a party withdrawn), renders the rows the way the template did,
from the objects, with the loop as it was written, and compares them with the page, character for
character.
"""
# ruff: noqa: E501 (the templates' lines as they were written)

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from govern import cases
from govern.auth.models import User
from govern.boards import forecast as board_forecast
from govern.boards import operations as board_ops
from govern.extensions import db
from govern.partnership import operations as partnership_ops
from govern.partnership.models import Organisation
from govern.pdeg import queries, states
from govern.pdeg.models import Ratification, Recommendation
from tests.casework import Cast
from tests.test_pdeg_operations import Pdeg

pytestmark = pytest.mark.usefixtures("app")

#: The register's rows as templates/pdeg/register.html wrote them before issue 14 (and
#: templates/boards/_forecast_cell.html, which it included).
REGISTER_ROWS = """
  {%- for row in rows %}
    {%- set rec = row.recommendation %}
    {%- set st = state_title(rec, row.cells.values()) %}
    <tr class="nhsuk-table__row" id="row-{{ rec.reference }}">
      <td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Decision </span><span><a href="{{ url_for('pdeg.recommendation', recommendation_id=rec.id) }}">{{ rec.reference }}</a> {{ rec.title }}<br><span class="nhsuk-u-font-size-16 nhsuk-u-secondary-text-colour">{{ raised_by_text(rec) }}{% if rec.agenda_meeting_date %}; PDEG {{ rec.agenda_meeting_date | local_date }}{% endif %}</span></span></td>
      <td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Where it stands </span><span>{{ st[0] }} <span class="nhsuk-u-font-size-16 nhsuk-u-secondary-text-colour">({{ st[1] | clause_short }})</span>{% with f = forecasts.get(rec.id) %}
{%- if f %}<br><span class="nhsuk-u-font-size-16" id="forecast-{{ rec.reference }}">
{%- if f.complete_by %}Forecast: {{ f.complete_by | day_words }}
{%- elif f.refusing %}No forecast: not ratified by {{ f.refusing | map(attribute="code") | join(", ") }}
{%- else %}No Board date known for {{ f.unknown | map(attribute="code") | join(", ") }}{% endif %}
{%- if f.remaining %}. Waiting for {{ f.remaining | map(attribute="organisation.code") | join(", ") }}{% endif %}</span>{% endif %}
{%- endwith %}</span></td>
      <td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Each party's Board </span>
        {%- set listed = [] %}
        <ul class="nhsuk-list govern-boards">
        {%- for p in parties %}
          {%- set cell = row.cells.get(p.id) %}
          {%- if cell %}{% set _ = listed.append(p) %}
          <li><abbr title="{{ p.name }}">{{ p.short_name }}</abbr> <span class="nhsuk-u-secondary-text-colour">({{ p.board_name }})</span> <span id="cell-{{ rec.reference }}-{{ p.code }}">{{ nhs_tag(board_titles[cell.state] | replace("Board", p.board_name), board_colours[cell.state]) }}</span></li>
          {%- elif p in rec.affected and not_yet_sent(rec) and p.is_party %}{% set _ = listed.append(p) %}
          <li><abbr title="{{ p.name }}">{{ p.short_name }}</abbr> <span class="nhsuk-u-secondary-text-colour">({{ p.board_name }})</span> <span id="cell-{{ rec.reference }}-{{ p.code }}" class="nhsuk-u-font-size-16 nhsuk-u-secondary-text-colour">Not yet sent</span></li>
          {%- endif %}
        {%- endfor %}
        </ul>
        {%- if not listed %}<span class="nhsuk-u-secondary-text-colour">None: it does not go to the Boards</span>{% endif %}
      </td>
    </tr>
  {%- endfor %}"""

#: The Board's list's rows as templates/pdeg/awaiting.html wrote them before issue 14.
AWAITING_ROWS = """
  {%- for r in items %}
    <tr class="nhsuk-table__row">
      <td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Decision </span><a href="{{ url_for('pdeg.recommendation', recommendation_id=r.recommendation_id) }}">{{ r.recommendation.reference }}: {{ r.recommendation.title }}</a>{% if r.recommendation.is_variation %} <span class="nhsuk-u-font-size-16 nhsuk-u-secondary-text-colour">(variation, clause 17.2)</span>{% endif %}</td>
      <td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Agreed at PDEG </span>{{ r.created_at | local_date }}</td>
      <td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Status </span>{{ nhs_tag(board_titles[r.state], board_colours[r.state]) }}</td>
      <td class="nhsuk-table__cell"><a href="{{ url_for('pdeg.ratification', ratification_id=r.id) }}">Record the decision<span class="nhsuk-u-visually-hidden"> on {{ r.recommendation.reference }}</span></a><br><a href="{{ url_for('records.recommendation_record', recommendation_id=r.recommendation_id) }}" download>Ratification record (PDF)<span class="nhsuk-u-visually-hidden"> of {{ r.recommendation.reference }}</span></a></td>
    </tr>
  {%- endfor %}"""

TBODY = re.compile(r'<tbody class="nhsuk-table__body">(.*)\n  </tbody>', re.S)


@pytest.fixture
def cast(make_user: Callable[..., User], stp_leader: User) -> Cast:
    return Cast(make_user, stp_leader)


@pytest.fixture
def pdeg(cast: Cast, org: Callable[[str], Organisation]) -> Pdeg:
    return Pdeg(cast, org)


def _every_party() -> tuple[str, ...]:
    """A variation of the MoU affects every party (17.2)."""
    return tuple(o.code for o in queries.current_parties())


@pytest.fixture
def decisions(pdeg: Pdeg) -> list[Recommendation]:
    """A decision in each kind of state a row shows (newest last)."""
    for code in ("RDE", "NDHT"):
        board_ops.add_board_meeting(pdeg.cast.secretary(code), meeting_date=date(2023, 3, 9), papers_due=date(2023, 3, 6))
    db.session.commit()
    raised = pdeg.raise_(by="ceo")
    raised.title = 'Fish & chips <for> "everyone"'  # escaped as the template did
    db.session.commit()
    within = pdeg.raise_(by="chair", affected=("RDE",))
    cases.act(within, pdeg.cast.chair("FWG"), "record_within_delegation", {"basis": "Terms of reference 4.2"})
    db.session.commit()
    waiting = pdeg.agreed()
    mixed = pdeg.agreed(is_variation=True, affected=_every_party())
    pdeg.board(mixed, "RDE")
    pdeg.board(mixed, "NDHT", "defer", next_meeting_date=date(2023, 4, 6))
    refused = pdeg.agreed(by="chair")
    pdeg.board(refused, "NDHT", "not_ratify", reasons="Cost")
    ratified = pdeg.agreed(affected=("RDE", "NDHT"))
    pdeg.board(ratified, "RDE")
    pdeg.board(ratified, "NDHT")
    forecast = pdeg.agreed(affected=("RDE", "NDHT"))
    lapsing = pdeg.agreed(affected=("RDE", "NDHT", "PCC"))
    draft_for_withdrawn = pdeg.raise_(affected=("RDE", "NDHT", "PCC"))
    partnership_ops.withdraw_party(pdeg.org("PCC"), pdeg.cast.leader, notice="Cabinet resolution 12/23")
    db.session.commit()
    return [raised, within, waiting, mixed, refused, ratified, forecast, lapsing, draft_for_withdrawn]


def _rendered(app: Flask, source: str, **context: Any) -> str:
    from govern.web.template_helpers import nhs_tag

    return app.jinja_env.from_string(source).render(
        nhs_tag=nhs_tag, board_titles=queries.BOARD_STATUS_TITLES, board_colours=queries.BOARD_STATUS_COLOURS,
        **context,
    )


@pytest.mark.parametrize("query", ["", "?party={NDHT}", "?status=board:awaiting_board", "?party={PCC}"])
def test_the_register_rows_are_the_templates_own(
    app: Flask, decisions: list[Recommendation], client_for: Callable[[User], FlaskClient], cast: Cast,
    org: Callable[[str], Organisation], query: str,
) -> None:
    address = "/register" + query.format(NDHT=org("NDHT").id, PCC=org("PCC").id)
    html = client_for(cast.ceo("RDE")).get(address).get_data(as_text=True)
    shown = TBODY.search(html)
    assert shown is not None
    ids = [int(i) for i in re.findall(r'<a href="/recommendations/(\d+)">', shown.group(1))]
    assert ids, "the page lists decisions"
    db.session.expire_all()
    found = {r.id: r for r in db.session.scalars(select(Recommendation).where(Recommendation.id.in_(ids)))}
    parties = queries.current_parties()
    rows = []
    for rec in (found[i] for i in ids):
        current = {r.organisation_id: r for r in rec.ratifications if r.version == rec.amendment_version}
        rows.append(type("Row", (), {"recommendation": rec, "cells": current}))
    extra = {org_id for row in rows for org_id in row.cells} - {p.id for p in parties}
    parties += [o for o in db.session.scalars(select(Organisation).order_by(Organisation.id)) if o.id in extra]
    if "NDHT" in query:
        parties = [p for p in parties if p.code == "NDHT"]  # PCC has withdrawn: not a party to filter by
    with app.test_request_context(address):
        expected = _rendered(
            app, REGISTER_ROWS, rows=rows, parties=parties, state_title=queries.state_title,
            raised_by_text=queries.raised_by_text, not_yet_sent=lambda rec: rec.state in states.before_pdeg(),
            forecasts={rec.id: board_forecast.for_decision(rec) for rec in found.values()},
        )
    assert shown.group(1) == expected
    if not query:
        assert "Not yet sent" in expected and "None: it does not go to the Boards" in expected
        assert "Not ratified by" in expected and "Forecast: " in expected and "No Board date known" in expected
        assert "Fish &amp; chips &lt;for&gt; &#34;everyone&#34;" in expected


def test_the_boards_list_rows_are_the_templates_own(
    app: Flask, decisions: list[Recommendation], client_for: Callable[[User], FlaskClient], cast: Cast,
    org: Callable[[str], Organisation],
) -> None:
    html = client_for(cast.secretary("RDE")).get("/boards/awaiting").get_data(as_text=True)
    shown = TBODY.search(html)
    assert shown is not None
    db.session.expire_all()
    items = queries.awaiting_board_page(org("RDE").id, None).items
    with app.test_request_context("/boards/awaiting"):
        expected = _rendered(app, AWAITING_ROWS, items=items)
    assert shown.group(1) == expected
    assert len(items) >= 2


def test_a_variation_shows_on_the_boards_list(
    app: Flask, pdeg: Pdeg, client_for: Callable[[User], FlaskClient], cast: Cast, org: Callable[[str], Organisation],
) -> None:
    pdeg.agreed(is_variation=True, affected=_every_party())
    pdeg.agreed()
    html = client_for(cast.secretary("RDE")).get("/boards/awaiting").get_data(as_text=True)
    shown = TBODY.search(html)
    assert shown is not None
    db.session.expire_all()
    items = queries.awaiting_board_page(org("RDE").id, None).items
    with app.test_request_context("/boards/awaiting"):
        expected = _rendered(app, AWAITING_ROWS, items=items)
    assert shown.group(1) == expected
    assert "(variation, clause 17.2)" in expected


def test_the_register_cells_are_the_current_ratifications(decisions: list[Recommendation]) -> None:
    """The plain rows hold what the ratifications hold."""
    _parties, page = queries.register(queries.RegisterFilters())
    for row in page.items:
        for organisation_id, cell in row.cells.items():
            ratification = db.session.get(Ratification, cell.id)
            assert ratification is not None
            assert (ratification.organisation_id, ratification.state, ratification.version) == (
                organisation_id, cell.state, row.recommendation.amendment_version)


def test_the_register_page_reads_only_what_it_shows_and_the_same_states(decisions: list[Recommendation]) -> None:
    """The page's lean read (``shown_only``) gives each Board the state the exports' full read gives, and
    the affected parties of exactly the decisions PDEG has not yet decided (the Boards not yet sent)."""
    _parties, full = queries.register(queries.RegisterFilters())
    _parties, shown = queries.register(queries.RegisterFilters(), shown_only=True)
    assert [r.recommendation.id for r in shown.items] == [r.recommendation.id for r in full.items]
    before_pdeg = states.before_pdeg()
    assert any(r.recommendation.state in before_pdeg and r.affected_ids for r in full.items)
    for lean, whole in zip(shown.items, full.items, strict=True):
        assert {o: c.state for o, c in lean.cells.items()} == {o: c.state for o, c in whole.cells.items()}
        expected = whole.affected_ids if whole.recommendation.state in before_pdeg else []
        assert sorted(lean.affected_ids) == sorted(expected)
