"""The JSON API (/api/v1) and the personal access tokens that open it.

The API asks the pages' own questions (``can_view``, ``can_record``, the list queries) and calls the
pages' own operation, so what a token sees and does is what its owner sees and does on the pages:
``tests/test_api_access.py`` runs the access matrix over it; here, tokens, refusals and recording.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from govern import cases
from govern.api import operations as token_ops
from govern.api.models import ApiRateWindow, ApiToken, TokenScope
from govern.audit.models import AuditEvent
from govern.auth.models import Role, User
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.pdeg.models import Ratification
from tests.conftest import Page
from tests.scale import counting_queries
from tests.test_access_matrix import Targets

#: Today at 10:00 (the access-matrix targets date their PDEG meeting from the real today).
NOW = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(NOW)


def make_token(user: User, scope: TokenScope = TokenScope.READ, *, days: int = 30, name: str = "Board portal") -> str:
    """A token for ``user`` (committed); its secret."""
    made = token_ops.create_token(user, name=name, scope=scope, expires_on=TODAY + timedelta(days=days))
    db.session.commit()
    return made.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def audit_actions(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


# --- tokens: made and revoked by their owner, shown once, stored hashed -----------------------------------


@pytest.mark.real_commits  # the count and the last use are kept on their own connection, committed at once
def test_a_token_is_made_on_the_account_pages_and_shown_once(
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient], client: FlaskClient,
) -> None:
    user = make_user(Role.BOARD_SECRETARY, "RDE")
    pages = client_for(user)
    assert "/account/tokens" in pages.get("/account").get_data(as_text=True)
    expiry = TODAY + timedelta(days=90)
    response = pages.post("/account/tokens/new", data={
        "name": "Board portal", "scope": "read+record",
        "expires_on[day]": str(expiry.day), "expires_on[month]": str(expiry.month),
        "expires_on[year]": str(expiry.year),
    })
    assert response.status_code == 200
    secret = Page.of(response).text("token-secret")
    assert secret and secret.startswith("gov_pat_") and len(secret) > 40

    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.digest == token_ops.digest(secret) and secret not in (stored.digest, stored.prefix)
    assert stored.scope is TokenScope.READ_RECORD and stored.last_day == expiry
    assert audit_actions("create_api_token") == 1
    listing = pages.get("/account/tokens").get_data(as_text=True)
    assert "Board portal" in listing and stored.prefix in listing and secret not in listing

    answer = client.get("/api/v1/me", headers=bearer(secret))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["email"] == user.email and answer.get_json()["token_scope"] == "read+record"
    assert "Set-Cookie" not in answer.headers  # a token opens no session
    db.session.expire_all()
    assert db.session.get(ApiToken, stored.id).last_used_at == NOW


def test_revoking_asks_first_then_the_token_is_refused(
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient], client: FlaskClient,
) -> None:
    user = make_user(Role.PARTNER_CEO, "RDE")
    secret = make_token(user)
    token = db.session.scalars(select(ApiToken)).one()
    pages = client_for(user)
    check = pages.get(f"/account/tokens/{token.id}/revoke")
    assert check.status_code == 200 and "Revoke the token" in check.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200

    assert pages.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    assert audit_actions("revoke_api_token") == 1
    refused = client.get("/api/v1/me", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json" and refused.get_json()["status"] == 401
    assert "Bearer" in refused.headers["WWW-Authenticate"]


def test_nobody_else_sees_or_revokes_a_token(
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
) -> None:
    owner = make_user(Role.PARTNER_CEO, "RDE")
    make_token(owner, name="Owner's intranet")
    token = db.session.scalars(select(ApiToken)).one()
    other = client_for(make_user(Role.PARTNER_CEO, "RDE"))
    assert other.get(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert other.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert "Owner&#39;s intranet" not in other.get("/account/tokens").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None


@pytest.mark.parametrize(
    ("name", "expires_on", "field", "message"),
    [
        ("", TODAY + timedelta(days=1), "name", "Give the token a name"),
        ("Portal", None, "expires_on", "Enter the date the token stops working"),
        ("Portal", TODAY - timedelta(days=1), "expires_on", "today or in the future"),
        ("Portal", TODAY + timedelta(days=367), "expires_on", "a year at most"),
    ],
)
def test_a_token_needs_a_name_and_an_expiry_within_a_year(
    name: str, expires_on: date | None, field: str, message: str, make_user: Callable[..., User],
) -> None:
    user = make_user(Role.PARTNER_CEO, "RDE")
    with pytest.raises(OperationError) as refused:
        token_ops.create_token(user, name=name, scope=TokenScope.READ, expires_on=expires_on)
    assert refused.value.field == field and message in refused.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_the_page_shows_a_bad_expiry_beside_its_field_and_keeps_the_name(
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient],
) -> None:
    pages = client_for(make_user(Role.PARTNER_CEO, "RDE"))
    response = pages.post("/account/tokens/new", data={
        "name": "Intranet", "scope": "read", "expires_on[day]": "1", "expires_on[month]": "1",
        "expires_on[year]": str(TODAY.year + 3)})
    assert response.status_code == 400
    page = Page.of(response)
    assert "a year at most" in (page.text("expires_on-error") or "")
    assert page.values["name"] == "Intranet"
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


@pytest.mark.parametrize("header", [
    None, "Bearer", "Bearer gov_pat_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 300,
])
def test_no_token_or_an_unknown_one_is_a_401_problem(client: FlaskClient, header: str | None) -> None:
    response = client.get("/api/v1/register", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    body = response.get_json(force=True)
    assert response.mimetype == "application/problem+json"
    assert body["status"] == 401 and body["title"] and body["detail"]


def test_an_expired_token_is_refused(make_user: Callable[..., User], client: FlaskClient) -> None:
    secret = make_token(make_user(Role.PARTNER_CEO, "RDE"), days=0)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200  # works to the end of its day
    clock.freeze(datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), tzinfo=UTC))
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_a_disabled_account_s_token_is_refused(make_user: Callable[..., User], client: FlaskClient) -> None:
    user = make_user(Role.PARTNER_CEO, "RDE")
    secret = make_token(user)
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


@pytest.mark.real_commits  # the count and the last use are kept on their own connection, committed at once
def test_the_rate_limit_counts_each_token_in_the_database(
    app: Flask, make_user: Callable[..., User], client: FlaskClient,
) -> None:
    secret = make_token(make_user(Role.PARTNER_CEO, "RDE"))
    other = make_token(make_user(Role.PARTNER_CEO, "PHNT"))
    app.config["API_RATE_LIMIT"] = 3
    try:
        assert [client.get("/api/v1/me", headers=bearer(secret)).status_code for _ in range(3)] == [200] * 3
        limited = client.get("/api/v1/me", headers=bearer(secret))
        assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200  # per token
        # The count is in the database (shared by every app server), not in this process.
        token = db.session.scalar(select(ApiToken).where(ApiToken.digest == token_ops.digest(secret)))
        assert db.session.scalar(select(ApiRateWindow.count).where(ApiRateWindow.token_id == token.id)) == 4
        clock.freeze(NOW + timedelta(seconds=60))  # the next window
        assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    finally:
        app.config["API_RATE_LIMIT"] = 600


# --- a Board secretary records a decision with a token ----------------------------------------------------


def _awaiting_ratification(make_user: Callable[..., User]) -> Ratification:
    """RDE's Board's ratification of a decision PDEG agreed yesterday."""
    return Targets(make_user).ratification_in()


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() or "" for p in PdfReader(BytesIO(data)).pages).split())


def test_a_board_secretary_records_with_a_token_and_page_register_and_record_agree(
    make_user: Callable[..., User], client_for: Callable[[User], FlaskClient], client: FlaskClient,
) -> None:
    ratification = _awaiting_ratification(make_user)
    secretary = make_user(Role.BOARD_SECRETARY, "RDE")
    secret = make_token(secretary, TokenScope.READ_RECORD)

    awaiting = client.get("/api/v1/boards/awaiting", headers=bearer(secret)).get_json()
    assert [r["ratification_id"] for r in awaiting["items"]] == [ratification.id]
    assert awaiting["items"][0]["may_record"] is True
    response = client.post(f"/api/v1/ratifications/{ratification.id}/decision", headers=bearer(secret), json={
        "decision": "ratify", "meeting_date": (TODAY - timedelta(days=1)).isoformat(), "minute_reference": "B/2026/41",
        "expected_version": awaiting["items"][0]["version"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "ratified" and response.get_json()["status"] == "Ratified"
    assert audit_actions("ratify") == 1

    page = Page.of(client_for(secretary).get(f"/ratifications/{ratification.id}"))
    assert "Ratified" in (page.text("board-status") or "")
    register = client.get("/api/v1/register", headers=bearer(secret)).get_json()
    row = next(r for r in register["items"] if r["id"] == ratification.recommendation_id)
    assert {b["organisation_code"]: b["status"] for b in row["boards"]}["RDE"] == "Ratified"
    decision = client.get(f"/api/v1/decisions/{ratification.recommendation_id}", headers=bearer(secret)).get_json()
    assert any(s["title"] == "Ratified by the Board" and {"label": "Minute reference", "value": "B/2026/41"}
               in s["details"] for s in decision["journey"])
    record = client_for(secretary).get(decision["record_url"])
    assert record.status_code == 200
    text = _pdf_text(record.data)
    assert "B/2026/41" in text and "Ratified" in text


def test_a_read_only_token_cannot_record(make_user: Callable[..., User], client: FlaskClient) -> None:
    ratification = _awaiting_ratification(make_user)
    secret = make_token(make_user(Role.BOARD_SECRETARY, "RDE"), TokenScope.READ)
    response = client.post(f"/api/v1/ratifications/{ratification.id}/decision", headers=bearer(secret), json={
        "decision": "ratify", "meeting_date": TODAY.isoformat(), "minute_reference": "B1"})
    assert response.status_code == 403 and "only read" in response.get_json()["detail"]
    db.session.expire_all()
    assert db.session.get(Ratification, ratification.id).state == "awaiting_board"


def test_another_boards_secretary_cannot_record(make_user: Callable[..., User], client: FlaskClient) -> None:
    ratification = _awaiting_ratification(make_user)
    secret = make_token(make_user(Role.BOARD_SECRETARY, "PHNT"), TokenScope.READ_RECORD)
    response = client.post(f"/api/v1/ratifications/{ratification.id}/decision", headers=bearer(secret), json={
        "decision": "ratify", "meeting_date": TODAY.isoformat(), "minute_reference": "B1"})
    assert response.status_code == 403 and response.get_json()["clause"] == "10.6"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"decision": "ratify", "minute_reference": "B1"}, "meeting_date", "Enter the Board meeting date"),
        ({"decision": "ratify", "meeting_date": (TODAY + timedelta(days=1)).isoformat(), "minute_reference": "B1"},
         "meeting_date", "cannot be in the future"),
        ({"decision": "not_ratify", "meeting_date": TODAY.isoformat(), "minute_reference": "B1"}, "reasons",
         "Enter the reasons"),
    ],
)
def test_a_refusal_carries_the_pages_message_and_clause(
    body: dict[str, Any], field: str, message: str, make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient], client: FlaskClient,
) -> None:
    ratification = _awaiting_ratification(make_user)
    secretary = make_user(Role.BOARD_SECRETARY, "RDE")
    secret = make_token(secretary, TokenScope.READ_RECORD)
    response = client.post(f"/api/v1/ratifications/{ratification.id}/decision", headers=bearer(secret), json=body)
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    found = next(p for p in problem["problems"] if p["field"] == field)
    assert message in found["message"] and found["clause"]
    # The page shows the same words and clause beside the same field.
    form = {"decision": body["decision"], "minute_reference": body.get("minute_reference", ""),
            "reasons": body.get("reasons", "")}
    if body.get("meeting_date"):
        day = date.fromisoformat(body["meeting_date"])
        form |= {"meeting_date[day]": str(day.day), "meeting_date[month]": str(day.month),
                 "meeting_date[year]": str(day.year)}
    page = Page.of(client_for(secretary).post(f"/ratifications/{ratification.id}", data=form))
    shown = page.text(f"{field}-error") or ""
    assert found["message"] in shown and found["clause"] in shown
    db.session.expire_all()
    assert db.session.get(Ratification, ratification.id).state == "awaiting_board"


def test_a_stale_version_is_a_409_and_records_nothing(make_user: Callable[..., User], client: FlaskClient) -> None:
    ratification = _awaiting_ratification(make_user)
    secret = make_token(make_user(Role.BOARD_SECRETARY, "RDE"), TokenScope.READ_RECORD)
    body = {"decision": "defer", "meeting_date": TODAY.isoformat(), "minute_reference": "B1",
            "expected_version": ratification.lock_version}
    assert client.post(f"/api/v1/ratifications/{ratification.id}/decision", headers=bearer(secret),
                       json=body).status_code == 200
    again = client.post(f"/api/v1/ratifications/{ratification.id}/decision", headers=bearer(secret), json=body)
    assert again.status_code == 409 and "has changed" in again.get_json()["detail"]
    assert audit_actions("defer") == 1


# --- lists: keyset pages, the same number of queries whatever their length ---------------------------------


def _queries(client: FlaskClient, url: str, secret: str) -> int:
    with counting_queries() as statements:
        assert client.get(url, headers=bearer(secret)).status_code == 200
    return len(statements)


def test_lists_page_by_cursor_with_constant_queries(make_user: Callable[..., User], client: FlaskClient) -> None:
    from govern.api.views import paging

    targets = Targets(make_user)
    leader_secret = make_token(make_user(Role.SYSTEM_LEADERSHIP, "STP"))
    secret = make_token(make_user(Role.BOARD_SECRETARY, "RDE"))
    targets.raised_recommendation()
    for warm_up in (secret, leader_secret):  # the first request of a minute also notes the token's last use
        client.get("/api/v1/me", headers=bearer(warm_up))
    urls = ["/api/v1/register", "/api/v1/pdeg/meetings", "/api/v1/me/notices", "/api/v1/boards/awaiting"]
    small = {url: _queries(client, url, secret) for url in urls}
    for _ in range(4):
        targets.ratification_in()
    large = {url: _queries(client, url, secret) for url in urls}
    assert small == large
    assert _queries(client, "/api/v1/disputes?state=any", leader_secret) == _queries(
        client, "/api/v1/disputes?state=any", leader_secret)

    original = paging.PAGE_SIZE
    paging.PAGE_SIZE = 2
    try:
        seen, after = [], None
        while True:
            url = "/api/v1/register" + (f"?after={after}" if after else "")
            page = client.get(url, headers=bearer(secret)).get_json()
            seen += [r["id"] for r in page["items"]]
            after = page["next_cursor"]
            if not after:
                break
    finally:
        paging.PAGE_SIZE = original
    assert len(seen) == len(set(seen)) == page["total"] == 5


def test_a_cursor_the_list_did_not_give_starts_from_the_first_page(
    make_user: Callable[..., User], client: FlaskClient,
) -> None:
    secret = make_token(make_user(Role.PARTNER_CEO, "RDE"))
    Targets(make_user).raised_recommendation()
    first = client.get("/api/v1/register", headers=bearer(secret)).get_json()
    for cursor in ("WyJ4IiwieSJd", "not-a-cursor", "W10"):  # ["x","y"], nonsense, []
        response = client.get(f"/api/v1/register?after={cursor}", headers=bearer(secret))
        assert response.status_code == 200 and response.get_json() == first


def test_a_filter_the_register_does_not_offer_is_a_422(make_user: Callable[..., User], client: FlaskClient) -> None:
    secret = make_token(make_user(Role.PARTNER_CEO, "RDE"))
    response = client.get("/api/v1/register?status=nonsense", headers=bearer(secret))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.get_json()["problems"][0]["field"] == "status"
    assert client.get("/api/v1/register?status=board:ratified", headers=bearer(secret)).status_code == 200


# --- the API's description ------------------------------------------------------------------------------


def test_the_openapi_document_is_3_1_and_the_docs_page_loads_nothing_from_outside(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/ratifications/{ratification_id}/decision" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "https://" not in html.split("<body")[1]
    assert "script-src 'self' 'nonce-" in docs.headers["Content-Security-Policy"]


def test_an_unknown_api_address_is_a_json_problem(make_user: Callable[..., User], client: FlaskClient) -> None:
    secret = make_token(make_user(Role.PARTNER_CEO, "RDE"))
    for url in ("/api/v1/nothing-here", "/api/v1/disputes/99999999999999999999"):
        response = client.get(url, headers=bearer(secret))
        assert response.status_code == 404 and response.mimetype == "application/problem+json", url
    assert client.get("/no-such-page").mimetype == "text/html"


def test_the_api_needs_no_csrf_token_and_the_pages_still_do(
    app: Flask, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient], client: FlaskClient,
) -> None:
    ratification = _awaiting_ratification(make_user)
    secretary = make_user(Role.BOARD_SECRETARY, "RDE")
    secret = make_token(secretary, TokenScope.READ_RECORD)
    pages = client_for(secretary)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/api/v1/ratifications/{ratification.id}/decision", headers=bearer(secret), json={
            "decision": "ratify", "meeting_date": TODAY.isoformat(), "minute_reference": "B1"})
        assert response.status_code == 200, response.get_json()
        assert pages.post("/account/tokens/new", data={"name": "No CSRF", "scope": "read"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_a_decision_not_sent_as_json_is_a_415(make_user: Callable[..., User], client: FlaskClient) -> None:
    ratification = _awaiting_ratification(make_user)
    secret = make_token(make_user(Role.BOARD_SECRETARY, "RDE"), TokenScope.READ_RECORD)
    response = client.post(f"/api/v1/ratifications/{ratification.id}/decision", headers=bearer(secret),
                           data={"decision": "ratify"})
    assert response.status_code == 415 and response.mimetype == "application/problem+json"


# --- a dispute's outcome, as its page shows it ---------------------------------------------------------------


def test_a_dispute_gives_its_outcome_as_its_page_shows_it(
    stp_leader: User, make_user: Callable[..., User], client: FlaskClient, client_for: Callable[[User], FlaskClient],
) -> None:
    targets = Targets(make_user)
    dispute = targets.dispute_with_panel(to="proposed")  # DCC's recommendation, then the STP Leader's proposal
    party = make_user(Role.PARTNER_CEO, "NDHT")
    cases.act(dispute, party, "accept_outcome", {})
    db.session.commit()
    for reader in (party, make_user(Role.DEPUTY, "DCC")):  # a party, and the panel
        body = client.get(f"/api/v1/disputes/{dispute.id}", headers=bearer(make_token(reader))).get_json()
        outcome = body["outcome"]
        assert outcome["panel_recommendation"]["recommendation"] == "Look again"
        assert outcome["panel_recommendation"]["reasons"] == "R"
        proposal = outcome["proposal"]
        assert (proposal["proposal"], proposal["reasons"]) == ("Secret proposal", "Secret reasons")
        assert outcome["proposal"]["outcome"] == "decision_revisited"
        assert outcome["panel_decision"] is None
        [response] = outcome["responses"]
        assert (response["organisation_code"], response["response"]) == ("NDHT", "accepted")
        assert response["title"] == "accepted the outcome"
        # The page shows the same words.
        page = client_for(reader).get(f"/disputes/{dispute.id}").get_data(as_text=True)
        assert outcome["proposal"]["outcome_title"] + ": Secret proposal" in page
        assert f"{response['organisation']} — {response['title']}" in page
    # Before any outcome there is none.
    plain = targets.dispute_with_panel()
    body = client.get(f"/api/v1/disputes/{plain.id}", headers=bearer(make_token(party, name="Again"))).get_json()
    assert body["outcome"] is None


def test_the_openapi_document_describes_a_disputes_outcome(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    dispute = next(s for name, s in schemas.items() if name.split(".")[-1] == "Dispute")
    assert "outcome" in dispute["properties"]
    outcome = next(s for name, s in schemas.items() if name.split(".")[-1] == "DisputeOutcome")
    assert {"panel_decision", "panel_recommendation", "proposal", "hearing", "responses"} <= set(outcome["properties"])
