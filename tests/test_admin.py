"""The administrator's pages: add, change, disable and enable accounts; move the STP Leader."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from govern.audit.models import AuditEvent
from govern.auth.models import Role, StpLeaderAssignment, User, UserSession, current_stp_leader_assignment
from govern.extensions import db
from govern.partnership.models import Organisation, SubordinateGroup
from tests.conftest import PASSWORD, Page, mailed_link

NEW_PASSWORD = "a long enough new password"


@pytest.fixture
def admin_client(admin: User, client_for: Callable[[User], FlaskClient]) -> FlaskClient:
    return client_for(admin)


def count(model: type, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def last_event() -> AuditEvent:
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event is not None
    return event


def account_form(org: Callable[[str], Organisation], **overrides: str) -> dict[str, str]:
    """A valid 'add an account' form for a partner chief executive at the RD&E."""
    form = {
        "name": "Rita Chief",
        "email": "rita.chief@example.nhs.uk",
        "job_title": "Chief Executive",
        "organisation_id": str(org("RDE").id),
        "role": Role.PARTNER_CEO.value,
        "group_id": "",
    }
    form.update(overrides)
    return form


def group_id(code: str) -> str:
    return str(db.session.scalar(select(SubordinateGroup.id).where(SubordinateGroup.code == code)))


# --- adding an account ------------------------------------------------------------------------


def test_the_add_page_opens(admin_client: FlaskClient) -> None:
    response = admin_client.get("/admin/users/new")
    assert response.status_code == 200
    assert "Add an account" in response.get_data(as_text=True)


def test_adding_an_account(admin_client: FlaskClient, org: Callable[[str], Organisation]) -> None:
    response = admin_client.post("/admin/users/new", data=account_form(org))
    assert response.status_code == 302
    user = user_by_email("rita.chief@example.nhs.uk")
    assert user is not None
    assert (user.name, user.job_title, user.organisation.code, user.role, user.active) == (
        "Rita Chief", "Chief Executive", "RDE", Role.PARTNER_CEO, True
    )
    assert "Account added for Rita Chief" in admin_client.get("/admin/users").get_data(as_text=True)


def test_adding_an_account_is_audited(
    admin_client: FlaskClient, admin: User, org: Callable[[str], Organisation]
) -> None:
    admin_client.post("/admin/users/new", data=account_form(org))
    user = user_by_email("rita.chief@example.nhs.uk")
    assert user is not None
    event = last_event()
    assert (event.action, event.object_type, event.object_id, event.actor_id) == (
        "create_user", "user", str(user.id), admin.id
    )
    assert event.changes["email"] == [None, "rita.chief@example.nhs.uk"]


def test_a_new_person_is_invited_to_choose_their_own_password(
    app: Any, admin_client: FlaskClient, org: Callable[[str], Organisation]
) -> None:
    """Issue 13, defect 4: administrators chose and knew every password."""
    admin_client.post("/admin/users/new", data=account_form(org))
    user = user_by_email("rita.chief@example.nhs.uk")
    assert user is not None and user.password_hash == "", "no password until the person chooses one"
    refused = app.test_client().post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400
    link = mailed_link(user.email, "/invitation/")
    client = app.test_client()
    assert client.post(link, data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}).status_code == 302
    assert client.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302


def test_a_chair_is_added_with_their_group(admin_client: FlaskClient, org: Callable[[str], Organisation]) -> None:
    form = account_form(org, role=Role.GROUP_CHAIR.value, group_id=group_id("CC"), organisation_id=str(org("STP").id))
    assert admin_client.post("/admin/users/new", data=form).status_code == 302
    user = user_by_email("rita.chief@example.nhs.uk")
    assert user is not None and user.group is not None and user.group.code == "CC"


def test_a_group_given_to_someone_who_is_not_a_chair_is_not_kept(
    admin_client: FlaskClient, org: Callable[[str], Organisation]
) -> None:
    admin_client.post("/admin/users/new", data=account_form(org, group_id=group_id("CC")))
    user = user_by_email("rita.chief@example.nhs.uk")
    assert user is not None and user.group_id is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the person's full name"),
        ({"email": ""}, "email", "Enter an email address"),
        ({"email": "rita.chief-at-example"}, "email", "Enter an email address in the correct format"),
        ({"email": "TAKEN@example.nhs.uk"}, "email", "An account with this email address already exists."),
        ({"organisation_id": ""}, "organisation_id", "Choose the organisation"),
        ({"role": Role.GROUP_CHAIR.value}, "group_id", "Choose the subordinate group this person chairs."),
        ({"role": "emperor"}, "role", "Not a valid choice"),
    ],
    ids=["no name", "no email", "bad email", "duplicate email",
         "no organisation", "chair without group", "unknown role"],
)
def test_bad_input_is_refused_beside_its_field(
    admin_client: FlaskClient, org: Callable[[str], Organisation], make_user: Callable[..., User],
    overrides: dict[str, str], field: str, message: str,
) -> None:
    make_user(email="taken@example.nhs.uk")
    users, events = count(User), count(AuditEvent)
    form = account_form(org, **overrides)

    response = admin_client.post("/admin/users/new", data=form)

    assert response.status_code == 400
    page = Page.of(response)
    assert message in (page.text(f"{field}-error") or "")
    assert (count(User), count(AuditEvent)) == (users, events), "nothing is stored"
    for name in ("name", "email", "job_title"):
        if name != field:
            assert page.values[name] == form[name], f"what was typed in {name} is kept"
    assert "password" not in page.values, "administrators never choose a password"
    if field != "organisation_id":
        assert page.selected["organisation_id"] == form["organisation_id"]


# --- changing an account ----------------------------------------------------------------------


def edit_form(user: User, **overrides: str) -> dict[str, str]:
    form = {
        "name": user.name,
        "email": user.email,
        "job_title": user.job_title,
        "organisation_id": str(user.organisation_id),
        "role": user.role.value,
        "group_id": str(user.group_id or ""),
    }
    form.update(overrides)
    return form


def test_the_change_page_shows_the_account(admin_client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user(name="Rita Chief")
    page = Page.of(admin_client.get(f"/admin/users/{user.id}"))
    assert (page.values["name"], page.values["email"]) == ("Rita Chief", user.email)


def test_changing_an_account(
    admin_client: FlaskClient, admin: User, make_user: Callable[..., User], org: Callable[[str], Organisation]
) -> None:
    user = make_user(Role.PARTNER_CEO, "RDE", name="Rita Chief")
    form = edit_form(user, name="Rita Chief-Smith", role=Role.DEPUTY.value, organisation_id=str(org("PHNT").id))
    assert admin_client.post(f"/admin/users/{user.id}", data=form).status_code == 302
    changed = user_by_email(user.email)
    assert changed is not None
    assert (changed.name, changed.role, changed.organisation.code) == ("Rita Chief-Smith", Role.DEPUTY, "PHNT")
    event = last_event()
    assert (event.action, event.actor_id, event.object_id) == ("update_user", admin.id, str(user.id))
    assert event.changes["name"] == ["Rita Chief", "Rita Chief-Smith"]
    assert event.changes["role"] == ["partner_ceo", "deputy"]


def test_changing_to_another_accounts_email_is_refused(
    admin_client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(name="Rita Chief")
    other = make_user()
    response = admin_client.post(f"/admin/users/{user.id}", data=edit_form(user, email=other.email.upper()))
    assert response.status_code == 400
    assert "already exists" in (Page.of(response).text("email-error") or "")
    assert user_by_email(user.email) is not None


def test_an_administrator_cannot_set_a_password(
    app: Any, admin_client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """Issue 13, defect 4: the change page set passwords that the administrator then knew."""
    user = make_user()
    assert "password" not in Page.of(admin_client.get(f"/admin/users/{user.id}")).values
    admin_client.post(f"/admin/users/{user.id}", data=edit_form(user, password=NEW_PASSWORD))
    assert app.test_client().post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 400
    assert app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_accounts_at_test_addresses_can_be_changed(
    admin_client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """Issue 13, defect 5: the demo's accounts (at .test addresses) could not be edited."""
    user = make_user(email="ceo.rde@demo.govern.test", name="Rita Chief")
    response = admin_client.post(f"/admin/users/{user.id}", data=edit_form(user, name="Rita Chief-Smith"))
    assert response.status_code == 302
    assert user_by_email("ceo.rde@demo.govern.test").name == "Rita Chief-Smith"  # type: ignore[union-attr]


def test_an_invitation_can_be_sent_again_and_the_old_link_stops_working(
    app: Any, admin_client: FlaskClient, org: Callable[[str], Organisation]
) -> None:
    admin_client.post("/admin/users/new", data=account_form(org))
    user = user_by_email("rita.chief@example.nhs.uk")
    assert user is not None
    first = mailed_link(user.email, "/invitation/")
    assert admin_client.post(f"/admin/users/{user.id}/invitation").status_code == 302
    second = mailed_link(user.email, "/invitation/")
    assert first != second
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200


def test_changing_an_account_that_does_not_exist(admin_client: FlaskClient) -> None:
    assert admin_client.get("/admin/users/999999").status_code == 404


# --- disabling and enabling -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_active", "action", "ends_active", "event"),
    [
        (True, "disable", False, "disable_user"),
        (False, "enable", True, "enable_user"),
    ],
)
def test_disabling_and_enabling(
    admin_client: FlaskClient, admin: User, make_user: Callable[..., User],
    starts_active: bool, action: str, ends_active: bool, event: str,
) -> None:
    user = make_user(name="Rita Chief", active=starts_active)
    response = admin_client.post(f"/admin/users/{user.id}/{action}")
    assert response.status_code == 302
    changed = user_by_email(user.email)
    assert changed is not None and changed.active is ends_active
    written = last_event()
    assert (written.action, written.actor_id, written.changes) == (
        event, admin.id, {"active": [starts_active, ends_active]}
    )
    page = html.unescape(admin_client.get("/admin/users").get_data(as_text=True))
    assert f"Rita Chief's account is now {action}d." in page


def test_disabling_ends_every_open_session(
    admin_client: FlaskClient, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient]
) -> None:
    user = make_user()
    client_for(user), client_for(user)
    admin_client.post(f"/admin/users/{user.id}/disable")
    assert count(UserSession, UserSession.user_id == user.id, UserSession.ended_at.is_(None)) == 0


def test_an_administrator_cannot_disable_themself(admin_client: FlaskClient, admin: User) -> None:
    events = count(AuditEvent)
    response = admin_client.post(f"/admin/users/{admin.id}/disable", follow_redirects=True)
    assert "You cannot disable your own account." in response.get_data(as_text=True)
    assert user_by_email(admin.email).active  # type: ignore[union-attr]
    assert count(AuditEvent) == events
    assert admin_client.get("/admin/users").status_code == 200, "still logged in"


def test_the_disable_button_only_posts(admin_client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user()
    assert admin_client.get(f"/admin/users/{user.id}/disable").status_code == 405
    assert user_by_email(user.email).active  # type: ignore[union-attr]


# --- the STP Leader (clause 6.3) --------------------------------------------------------------


def test_the_stp_leader_page_names_the_current_leader(admin_client: FlaskClient, stp_leader: User) -> None:
    page = admin_client.get("/admin/stp-leader").get_data(as_text=True)
    assert "STP Leader now: <strong>Sam Leader</strong>" in page


@pytest.mark.parametrize("authority", ["", "   "])
def test_moving_the_stp_leader_needs_a_pdeg_authority(
    admin_client: FlaskClient, stp_leader: User, make_user: Callable[..., User], authority: str
) -> None:
    successor = make_user(Role.SYSTEM_LEADERSHIP, "STP", name="Robin Successor")
    response = admin_client.post("/admin/stp-leader", data={"user_id": str(successor.id), "authority": authority})
    assert response.status_code == 400
    assert "PDEG authority" in (Page.of(response).text("authority-error") or "")
    db.session.expire_all()
    current = current_stp_leader_assignment()
    assert current is not None and current.user_id == stp_leader.id


def test_moving_the_stp_leader(
    admin_client: FlaskClient, admin: User, stp_leader: User, make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> None:
    successor = make_user(Role.SYSTEM_LEADERSHIP, "STP", name="Robin Successor")
    response = admin_client.post(
        "/admin/stp-leader", data={"user_id": str(successor.id), "authority": "PDEG minute 7/2026"}
    )
    assert response.status_code == 302

    db.session.expire_all()
    assignments = db.session.scalars(select(StpLeaderAssignment).order_by(StpLeaderAssignment.id)).all()
    assert [(a.user_id, a.ended_at is None) for a in assignments] == [(stp_leader.id, False), (successor.id, True)]
    assert assignments[-1].authority == "PDEG minute 7/2026"
    event = last_event()
    assert (event.action, event.actor_id) == ("assign_stp_leader", admin.id)
    assert event.changes["user_id"] == [stp_leader.id, successor.id]

    assert "You are the <strong>STP Leader</strong>" in client_for(successor).get("/").get_data(as_text=True)
    assert "You are the <strong>STP Leader</strong>" not in client_for(stp_leader).get("/").get_data(as_text=True)


def test_a_disabled_account_cannot_be_made_stp_leader(
    admin_client: FlaskClient, stp_leader: User, make_user: Callable[..., User]
) -> None:
    disabled = make_user(active=False)
    response = admin_client.post("/admin/stp-leader", data={"user_id": str(disabled.id), "authority": "PDEG 8/2026"})
    assert response.status_code == 400
    db.session.expire_all()
    assert current_stp_leader_assignment().user_id == stp_leader.id  # type: ignore[union-attr]
