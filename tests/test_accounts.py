"""Accounts and signing in (issue 13): password strength, the second factor, remembered devices,
changing and resetting passwords, invitations, the trusted-proxy setting and absolute addresses."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from govern.auth import mfa, operations
from govern.auth.models import Role, User, UserSession
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.notify.models import OutboxMessage
from tests.conftest import PASSWORD, TEST_CONFIG, TOTP_SECRET, Auth, Page, mailed_link, totp_code

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "plum orchard violin seventy"


def sessions(user: User | None = None) -> int:
    where = [UserSession.ended_at.is_(None)] + ([UserSession.user_id == user.id] if user else [])
    return db.session.scalar(select(func.count()).select_from(UserSession).where(*where)) or 0


def signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def reload(user: User) -> User:
    db.session.expire_all()
    found = db.session.get(User, user.id)
    assert found is not None
    return found


# --- password strength ---------------------------------------------------------------------------

WEAK = [
    ("password1234", "too easy to guess"),
    ("aaaaaaaaaaaa", "too easy to guess"),
    (" " * 12, "at least 12 characters"),  # defect 4: this made an account that could never log in
    ("  short pw  ", "at least 12 characters"),
    ("Rita Chief 1", "too easy to guess"),  # the person's own name
]


@pytest.mark.parametrize(("password", "message"), WEAK, ids=[w[0].strip() or "twelve spaces" for w in WEAK])
def test_a_weak_password_is_refused_with_a_reason(org: Callable[[str], Any], password: str, message: str) -> None:
    with pytest.raises(OperationError, match=message):
        operations.create_user(email="rita.chief@example.nhs.uk", name="Rita Chief", password=password,
                               organisation=org("RDE"), role=Role.PARTNER_CEO)


@pytest.mark.parametrize("password", ["correct horse battery staple", NEW_PASSWORD, "Tr0ub4dor&3 is not it"])
def test_a_strong_password_is_accepted(password: str) -> None:
    operations.check_password_strength(password)


def test_the_reset_page_explains_a_refusal(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user()
    operations.request_password_reset(user.email)
    db.session.commit()
    link = mailed_link(user.email, "/password/reset/")
    response = client.post(link, data={"new_password": "password1234", "confirm_password": "password1234"})
    assert response.status_code == 400
    assert "too easy to guess" in (Page.of(response).text("new_password-error") or "")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


# --- the second factor ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "needs_code"),
    [("administrator", True), ("stp_leader", True), ("partner_ceo", False), ("pdeg_secretariat", False)],
)
def test_administrators_and_the_stp_leader_cannot_sign_in_without_a_second_factor(
    request: pytest.FixtureRequest, client: FlaskClient, make_user: Callable[..., User], who: str, needs_code: bool
) -> None:
    user = request.getfixturevalue("stp_leader") if who == "stp_leader" else make_user(Role(who), "STP")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert (response.headers["Location"] == "/login/code") is needs_code
    assert signed_in(client) is not needs_code
    assert sessions(user) == int(not needs_code)


def test_the_code_opens_the_session_and_goes_where_the_person_was_going(
    client: FlaskClient, admin: User
) -> None:
    client.post("/login?next=/admin/users", data={"email": admin.email, "password": PASSWORD})
    response = client.post("/login/code", data={"code": totp_code(TOTP_SECRET)})
    assert (response.status_code, response.headers["Location"]) == (302, "/admin/users")
    assert signed_in(client)


@pytest.mark.parametrize("code", ["000000", "12345", "abcdef", "", "9" * 20])
def test_a_wrong_code_opens_no_session(client: FlaskClient, admin: User, code: str) -> None:
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    response = client.post("/login/code", data={"code": code})
    assert response.status_code == 400
    assert not signed_in(client) and sessions() == 0


def test_a_code_works_once(app: Flask, admin: User) -> None:
    clock.freeze(T0)
    code = totp_code(TOTP_SECRET)
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        browser.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert first.post("/login/code", data={"code": code}).status_code == 302
    replay = second.post("/login/code", data={"code": code})
    assert replay.status_code == 400
    assert "used already" in replay.get_data(as_text=True)


def test_the_code_step_expires(client: FlaskClient, admin: User) -> None:
    clock.freeze(T0)
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    clock.freeze(T0 + timedelta(minutes=11))
    response = client.post("/login/code", data={"code": totp_code(TOTP_SECRET)})
    assert response.headers["Location"] == "/login"
    assert not signed_in(client)


def test_wrong_codes_are_throttled_like_passwords(client: FlaskClient, admin: User) -> None:
    clock.freeze(T0)
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    for _ in range(3):
        client.post("/login/code", data={"code": "000000"})
    response = client.post("/login/code", data={"code": totp_code(TOTP_SECRET)})
    assert "Too many failed attempts" in response.get_data(as_text=True)
    clock.freeze(T0 + timedelta(seconds=5))
    assert client.post("/login/code", data={"code": totp_code(TOTP_SECRET)}).status_code == 302


def test_knowing_the_password_does_not_restart_the_count_of_wrong_codes(client: FlaskClient, admin: User) -> None:
    clock.freeze(T0)
    for _ in range(3):
        client.post("/login", data={"email": admin.email, "password": PASSWORD})
        client.post("/login/code", data={"code": "000000"})
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    response = client.post("/login/code", data={"code": totp_code(TOTP_SECRET)})
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_a_new_stp_leader_sets_up_an_app_at_their_next_sign_in(
    client: FlaskClient, admin: User, make_user: Callable[..., User]
) -> None:
    """Whoever holds the assignment must use a second factor, not a fixed account."""
    leader = make_user(Role.SYSTEM_LEADERSHIP, "STP")
    operations.assign_stp_leader(leader, authority="PDEG minute 7/2026", actor=admin)
    db.session.commit()
    response = client.post("/login", data={"email": leader.email, "password": PASSWORD})
    assert response.headers["Location"] == "/login/set-up-code"
    page = client.get("/login/set-up-code")
    html = page.get_data(as_text=True)
    secret = Page.of(page).text("totp-secret") or ""
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="QR code', html), "QR code inline, allowed by the CSP"
    assert not signed_in(client)
    done = client.post("/login/set-up-code", data={"code": totp_code(secret)})
    assert done.headers["Location"] == "/account/recovery-codes"
    shown = client.get("/account/recovery-codes").get_data(as_text=True)
    codes = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", shown)
    assert len(set(codes)) == mfa.RECOVERY_CODES
    assert reload(leader).has_mfa and signed_in(client)


def test_a_recovery_code_stands_in_for_the_app_once(app: Flask, admin: User) -> None:
    codes = mfa.regenerate_recovery_codes(admin, totp_code(TOTP_SECRET))
    db.session.commit()
    stored = " ".join(str(v) for v in db.session.execute(select(mfa.RecoveryCode.code_hash)).scalars())
    assert codes[0] not in stored and codes[0].replace("-", "") not in stored, "only digests are stored"
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        browser.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert first.post("/login/code", data={"code": codes[0].lower()}).status_code == 302
    assert second.post("/login/code", data={"code": codes[0]}).status_code == 400
    assert second.post("/login/code", data={"code": codes[1]}).status_code == 302


def test_anyone_may_add_an_app_and_is_then_asked_for_a_code(
    app: Flask, client: FlaskClient, auth: Auth, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.BOARD_SECRETARY, "RDE")
    auth.login(user)
    secret = Page.of(client.get("/account/authenticator")).text("totp-secret") or ""
    assert client.post("/account/authenticator", data={"code": totp_code(secret)}).status_code == 302
    other = app.test_client()
    assert other.post("/login", data={"email": user.email, "password": PASSWORD}).headers["Location"] == "/login/code"


def test_the_stp_leader_cannot_turn_the_second_factor_off(
    client_for: Callable[[User], FlaskClient], stp_leader: User
) -> None:
    client = client_for(stp_leader)
    client.post("/account/authenticator/remove", data={"code": totp_code(TOTP_SECRET, steps_ahead=1)})
    assert reload(stp_leader).has_mfa


def test_an_administrator_can_remove_a_lost_authenticator(
    app: Flask, admin: User, stp_leader: User, client_for: Callable[[User], FlaskClient]
) -> None:
    leaders_browser = client_for(stp_leader)
    response = client_for(admin).post(f"/admin/users/{stp_leader.id}/authenticator/reset")
    assert response.status_code == 302
    assert not reload(stp_leader).has_mfa
    assert not signed_in(leaders_browser), "logged out everywhere"
    again = app.test_client().post("/login", data={"email": stp_leader.email, "password": PASSWORD})
    assert again.headers["Location"] == "/login/set-up-code", "the STP Leader must set up a new app"


def test_an_administrator_cannot_remove_their_own_authenticator(admin: User) -> None:
    with pytest.raises(OperationError):
        mfa.reset_mfa(admin, actor=admin)


def test_the_demo_key_is_shown_for_the_demos_own_accounts_only(client: FlaskClient, admin: User) -> None:
    from govern.partnership.demo import DEMO_TOTP_SECRET, load_demo

    load_demo()
    db.session.commit()
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert Page.of(client.get("/login/code")).text("demo-key") is None
    demo = app_client_for_demo(client)
    assert DEMO_TOTP_SECRET in (Page.of(demo.get("/login/code")).text("demo-key") or "")


def app_client_for_demo(client: FlaskClient) -> FlaskClient:
    from govern.partnership.demo import DEMO_PASSWORD

    demo = client.application.test_client()
    demo.post("/login", data={"email": "admin@demo.govern.test", "password": DEMO_PASSWORD})
    return demo


@pytest.mark.parametrize("name", ["Rita\nChief", "Rita\r\nChief", "Rita\x00Chief", "  Rita   Chief "])
def test_a_name_is_kept_on_one_line(admin: User, make_user: Callable[..., User], name: str) -> None:
    """Issue 13, defect 5: a newline in a user's name broke their calendar feed."""
    user = make_user()
    operations.update_user(user, email=user.email, name=name, job_title="Chief\nExecutive",
                           organisation=user.organisation, role=user.role, group=None, actor=admin)
    db.session.commit()
    assert (reload(user).name, reload(user).job_title) == ("Rita Chief", "Chief Executive")


# --- remembered devices -----------------------------------------------------------------------------


def remembered_browser(app: Flask, user: User) -> FlaskClient:
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert browser.post("/login/code", data={"code": totp_code(TOTP_SECRET), "remember": "y"}).status_code == 302
    browser.post("/logout")
    return browser


def login_asks_for_code(browser: FlaskClient, user: User) -> bool:
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
    return response.headers["Location"] == "/login/code"


def test_a_remembered_device_skips_the_code_for_30_days_at_most(app: Flask, admin: User) -> None:
    clock.freeze(T0)
    browser = remembered_browser(app, admin)
    clock.freeze(T0 + timedelta(days=29))
    assert not login_asks_for_code(browser, admin)
    browser.post("/logout")
    clock.freeze(T0 + timedelta(days=30, minutes=1))
    assert login_asks_for_code(browser, admin)


def test_remembering_cannot_be_set_longer_than_30_days(app: Flask, admin: User) -> None:
    app.config["MFA_REMEMBER_DAYS"] = 365
    try:
        assert mfa.remember_lifetime() == timedelta(days=30)
    finally:
        app.config["MFA_REMEMBER_DAYS"] = 30


def test_forgetting_devices_revokes_them(app: Flask, admin: User, client_for: Callable[[User], FlaskClient]) -> None:
    clock.freeze(T0)
    browser = remembered_browser(app, admin)
    mfa.forget_devices(admin)
    db.session.commit()
    assert login_asks_for_code(browser, admin)


def test_a_remembered_device_is_bound_to_its_person(app: Flask, admin: User, make_user: Callable[..., User]) -> None:
    clock.freeze(T0)
    browser = remembered_browser(app, admin)
    other_admin = make_user(Role.ADMINISTRATOR, "STP")
    assert login_asks_for_code(browser, other_admin)


def test_a_tampered_device_cookie_is_ignored(app: Flask, admin: User) -> None:
    clock.freeze(T0)
    browser = remembered_browser(app, admin)
    cookie = browser.get_cookie(mfa.REMEMBER_COOKIE)
    assert cookie is not None
    browser.set_cookie(mfa.REMEMBER_COOKIE, cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB"))
    assert login_asks_for_code(browser, admin)


def test_changing_the_password_forgets_remembered_devices(
    app: Flask, admin: User, client_for: Callable[[User], FlaskClient]
) -> None:
    clock.freeze(T0)
    browser = remembered_browser(app, admin)
    operations.change_password(reload(admin), current=PASSWORD, new=NEW_PASSWORD)
    db.session.commit()
    response = browser.post("/login", data={"email": admin.email, "password": NEW_PASSWORD})
    assert response.headers["Location"] == "/login/code"


# --- changing and resetting passwords ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "new", "field", "message"),
    [
        ("not my password", NEW_PASSWORD, "current_password", "current password is not right"),
        (PASSWORD, "password1234", "new_password", "too easy to guess"),
        (PASSWORD, PASSWORD, "new_password", "different from your current one"),
    ],
    ids=["wrong current", "weak", "same"],
)
def test_changing_a_password_is_refused_beside_the_field(
    client: FlaskClient, auth: Auth, make_user: Callable[..., User], current: str, new: str, field: str, message: str
) -> None:
    user = make_user()
    auth.login(user)
    response = client.post("/account/password", data={"current_password": current, "new_password": new,
                                                      "confirm_password": new})
    assert response.status_code == 400
    assert message in (Page.of(response).text(f"{field}-error") or "")


def test_changing_a_password_logs_out_the_other_sessions(
    app: Flask, client: FlaskClient, auth: Auth, make_user: Callable[..., User],
    client_for: Callable[[User], FlaskClient],
) -> None:
    user = make_user()
    elsewhere = client_for(user)
    auth.login(user)
    response = client.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                      "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(client) and not signed_in(elsewhere)
    assert app.test_client().post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302


def test_a_reset_link_works_once_and_ends_every_session(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], client_for: Callable[[User], FlaskClient]
) -> None:
    user = make_user()
    elsewhere = client_for(user)
    page = client.post("/password/forgot", data={"email": user.email.upper()})
    assert "Check your email" in page.get_data(as_text=True)
    link = mailed_link(user.email, "/password/reset/")
    form = {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert client.post(link, data=form).status_code == 302
    assert not signed_in(elsewhere)
    assert client.post(link, data=form).status_code == 404, "single use"
    assert app.test_client().post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    stored = " ".join(db.session.scalars(select(operations.AccountToken.token_hash)).all())
    assert link.rsplit("/", 1)[1] not in stored, "only a digest of the token is stored"


def test_a_reset_link_expires_after_an_hour(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user()
    clock.freeze(T0)
    client.post("/password/forgot", data={"email": user.email})
    link = mailed_link(user.email, "/password/reset/")
    clock.freeze(T0 + timedelta(minutes=59))
    assert client.get(link).status_code == 200
    clock.freeze(T0 + timedelta(minutes=61))
    assert client.get(link).status_code == 404


def test_a_new_reset_link_cancels_the_old_one(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user()
    client.post("/password/forgot", data={"email": user.email})
    first = mailed_link(user.email, "/password/reset/")
    client.post("/password/forgot", data={"email": user.email})
    assert client.get(first).status_code == 404
    assert client.get(mailed_link(user.email, "/password/reset/")).status_code == 200


def test_reset_mail_is_limited_to_three_an_hour(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user()
    clock.freeze(T0)
    for _ in range(5):
        client.post("/password/forgot", data={"email": user.email})
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
    clock.freeze(T0 + timedelta(minutes=61))
    client.post("/password/forgot", data={"email": user.email})
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 4


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    known = Page.of(client.post("/password/forgot", data={"email": user.email})).text("reset-sent") or ""
    unknown = Page.of(client.post("/password/forgot", data={"email": "nobody@example.nhs.uk"})).text("reset-sent")
    assert known.replace(user.email, "X") == (unknown or "").replace("nobody@example.nhs.uk", "X")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_an_invitation_expires_after_a_week(
    client: FlaskClient, admin: User, org: Callable[[str], Any]
) -> None:
    clock.freeze(T0)
    user = operations.create_user(email="new@example.nhs.uk", name="New Person", organisation=org("RDE"),
                                  role=Role.DEPUTY, actor=admin)
    db.session.commit()
    link = mailed_link(user.email, "/invitation/")
    clock.freeze(T0 + timedelta(days=7, minutes=1))
    assert client.get(link).status_code == 404


def test_users_create_sends_an_invitation_and_asks_for_no_password(app: Flask) -> None:
    runner = CliRunner()
    result = runner.invoke(app.cli, ["users", "create", "--email", "first.admin@example.nhs.uk", "--name",
                                     "First Admin", "--organisation", "STP", "--role", "administrator"],
                           input="")
    assert result.exit_code == 0, result.output
    assert "invitation" in result.output and "/invitation/" not in result.output
    assert mailed_link("first.admin@example.nhs.uk", "/invitation/")
    shown = runner.invoke(app.cli, ["users", "create", "--email", "second@example.nhs.uk", "--name", "Second",
                                    "--organisation", "STP", "--role", "administrator", "--show-link"])
    assert "/invitation/" in shown.output


# --- the first page after signing in ----------------------------------------------------------------


def test_signing_in_renews_the_csrf_secret(app: Flask, make_app: Callable[..., Flask],
                                           make_user: Callable[..., User]) -> None:
    """Issue 13, defect 5: the CSRF secret was not renewed at login."""
    csrf_app = make_app({**TEST_CONFIG, "WTF_CSRF_ENABLED": True,
                         "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    user = make_user()
    browser = csrf_app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    with browser.session_transaction() as session:
        before = session["csrf_token"]
    assert browser.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token},
                        headers={"Referer": "https://localhost/"}).status_code == 302
    browser.get("/")
    with browser.session_transaction() as session:
        assert session["csrf_token"] != before


# --- proxies and absolute addresses -----------------------------------------------------------------


def proxied_app(app: Flask, make_app: Callable[..., Flask], **settings: Any) -> Flask:
    return make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **settings})


@pytest.mark.parametrize(("trusted", "hsts"), [(0, False), (1, True)])
def test_hsts_is_sent_behind_a_trusted_tls_proxy(
    app: Flask, make_app: Callable[..., Flask], trusted: int, hsts: bool
) -> None:
    behind = proxied_app(app, make_app, TRUSTED_PROXIES=trusted)
    response = behind.test_client().get("/login", base_url="http://localhost/",
                                        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert ("Strict-Transport-Security" in response.headers) is hsts


@pytest.mark.parametrize(("trusted", "waits"), [(1, False), (0, True)])
def test_behind_a_trusted_proxy_one_clients_failures_do_not_slow_another(
    app: Flask, make_app: Callable[..., Flask], make_user: Callable[..., User], trusted: int, waits: bool
) -> None:
    """Issue 13, defect 5: behind a proxy, 20 failures from anyone locked everyone."""
    behind = proxied_app(app, make_app, TRUSTED_PROXIES=trusted)
    user = make_user()
    proxy = {"REMOTE_ADDR": "10.0.0.254"}
    clock.freeze(T0)
    browser = behind.test_client()
    for n in range(20):
        browser.post("/login", data={"email": f"guess{n}@example.nhs.uk", "password": "x"}, environ_base=proxy,
                     headers={"X-Forwarded-For": "203.0.113.9"})
    response = behind.test_client().post("/login", data={"email": user.email, "password": PASSWORD},
                                         environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.7"})
    assert (response.status_code == 400) is waits


def test_without_a_trusted_proxy_a_client_cannot_choose_its_address(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    clock.freeze(T0)
    for n in range(5):
        client.post("/login", data={"email": user.email, "password": "wrong"},
                    headers={"X-Forwarded-For": f"198.51.100.{n}"}, environ_base={"REMOTE_ADDR": "10.6.6.6"})
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.99"}, environ_base={"REMOTE_ADDR": "10.6.6.6"})
    assert response.status_code == 400


def test_the_calendar_address_ignores_the_host_header(
    client: FlaskClient, auth: Auth, make_user: Callable[..., User], app: Flask
) -> None:
    """Issue 13, defect 5: the Host header was echoed into calendar addresses."""
    auth.login(make_user())
    client.post("/calendar/reset")
    cookie = client.get_cookie("govern_session")
    assert cookie is not None
    # A client of our own that sends the cookie whatever the host (a test client's jar would not).
    html = app.test_client(use_cookies=False).get(
        "/calendar", headers={"Host": "evil.test", "Cookie": f"govern_session={cookie.value}"}
    ).get_data(as_text=True)
    assert "evil.test" not in html
    assert app.config["PUBLIC_BASE_URL"] + "/calendar/" in html


def test_trusted_hosts_refuses_other_host_headers(app: Flask, make_app: Callable[..., Flask]) -> None:
    strict = proxied_app(app, make_app, TRUSTED_HOSTS=["govern.example.nhs.uk"])
    assert strict.test_client().get("/login", headers={"Host": "evil.test"}).status_code == 400
    assert strict.test_client().get("/login", headers={"Host": "govern.example.nhs.uk"}).status_code == 200
