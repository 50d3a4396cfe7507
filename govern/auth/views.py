"""Signing in and out, the second factor, single sign-on, and passwords (change, reset, invitation)."""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.base_client import OAuthError
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from requests import RequestException
from werkzeug.wrappers import Response

from govern.auth import mfa, operations, sso
from govern.auth.forms import (
    ChangePasswordForm,
    CodeForm,
    ConfirmCodeForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    SetUpCodeForm,
)
from govern.auth.models import TokenPurpose, User
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.web.urls import public_url_for

bp = Blueprint("auth", __name__)

# A password (or SSO) step is good for this long while the person finds their phone.
PENDING_SECONDS = 10 * 60
_PENDING = "pending_login"
_SETUP_SECRET = "mfa_setup_secret"  # noqa: S105 - a session key
_CODES = "recovery_codes_to_show"
# Printable ASCII without space or backslash: browsers drop tabs and newlines from addresses and read
# "\" as "/", so "/\t/evil.test" or "/\\evil.test" would leave the site.
_SAFE_PATH_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/?#%[]")


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login page cannot be used to redirect elsewhere."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and all(ch in _SAFE_PATH_CHARACTERS for ch in target)
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("main.home")


def _client_address() -> str:
    """The client's address (the proxy's X-Forwarded-For only if TRUSTED_PROXIES says so: ProxyFix)."""
    return request.remote_addr or ""


def _finish_login(user: User, next_path: str, *, device_cookie: str | None = None) -> Response:
    """Start a fresh browser session for the signed-in user: a new CSRF secret, no leftovers."""
    session.clear()
    login_user(user)
    response = redirect(next_path)
    if device_cookie:
        _set_device_cookie(response, device_cookie)
    return response


def _set_device_cookie(response: Response, value: str) -> None:
    response.set_cookie(
        mfa.REMEMBER_COOKIE, value, max_age=int(mfa.remember_lifetime().total_seconds()),
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax",
    )


def _start_pending(user: User, next_path: str, *, method: str) -> None:
    session.clear()
    session[_PENDING] = {"user": user.id, "since": clock.now().timestamp(), "next": next_path, "method": method}


def _pending() -> tuple[User, dict[str, Any]] | None:
    """The person who passed the first step in this browser a moment ago, if any."""
    pending = session.get(_PENDING)
    if not isinstance(pending, dict):
        return None
    if clock.now().timestamp() - float(pending.get("since", 0)) > PENDING_SECONDS:
        session.pop(_PENDING, None)
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active:
        return None
    return user, pending


def _after_first_step(user: User, next_path: str, method: str, needed: operations.SecondFactorRequired) -> Response:
    _start_pending(user, next_path, method=method)
    return redirect(url_for("auth.set_up_code" if needed.enrol else "auth.code"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """The login page: a password, or the organisation's single sign-on."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    next_path = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = operations.log_in(
                form.email.data or "", form.password.data or "", _client_address(),
                remembered_device=request.cookies.get(mfa.REMEMBER_COOKIE),
            )
        except operations.SecondFactorRequired as needed:
            db.session.commit()  # the attempt is kept
            return _after_first_step(needed.user, next_path, "password", needed)
        except operations.LoginRefused as refused:
            # The failed attempt is kept: it is what throttling counts.
            db.session.commit()
            error = refused.message
        else:
            db.session.commit()
            return _finish_login(user, next_path)
    status = 200 if error is None and not form.errors else 400
    return render_template("auth/login.html", form=form, error=error, providers=sso.providers(),
                           next_path=next_path), status


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> str | Response | tuple[str, int]:
    """The second step: a code from the authenticator app, or a recovery code."""
    pending = _pending()
    if pending is None:
        return redirect(url_for("auth.login"))
    user, state = pending
    if not user.has_mfa:
        return redirect(url_for("auth.set_up_code"))
    form = CodeForm()
    form.remember.label.text = f"Do not ask for a code on this device for {mfa.remember_lifetime().days} days"
    if form.validate_on_submit():
        try:
            user, cookie = operations.log_in_with_second_factor(
                user, form.code.data or "", _client_address(), method=state.get("method", "password"),
                remember=bool(form.remember.data),
            )
        except operations.LoginRefused as refused:
            db.session.commit()
            form.code.errors = [refused.message]
        else:
            db.session.commit()
            return _finish_login(user, state.get("next") or url_for("main.home"), device_cookie=cookie)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/code.html", form=form, demo_key=_demo_key(user)), status


def _demo_key(user: User) -> str | None:
    """The published demo authenticator key, for the demo's own accounts only (README)."""
    from govern.partnership.demo import DEMO_DOMAIN, DEMO_TOTP_SECRET

    if user.email.endswith("@" + DEMO_DOMAIN) and user.totp_secret == DEMO_TOTP_SECRET:
        return DEMO_TOTP_SECRET
    return None


@bp.route("/login/set-up-code", methods=["GET", "POST"])
def set_up_code() -> str | Response | tuple[str, int]:
    """For administrators and the STP Leader signing in without an authenticator app yet."""
    pending = _pending()
    if pending is None:
        return redirect(url_for("auth.login"))
    user, state = pending
    if user.has_mfa:
        return redirect(url_for("auth.code"))
    secret = state.get("secret") or mfa.new_secret()
    state["secret"] = secret
    session[_PENDING] = state
    form = SetUpCodeForm()
    if form.validate_on_submit():
        try:
            user, codes = operations.log_in_setting_up_second_factor(
                user, secret, form.code.data or "", _client_address(), method=state.get("method", "password")
            )
        except OperationError as refused:
            db.session.commit()
            form.code.errors = [refused.message]
        else:
            db.session.commit()
            response = _finish_login(user, url_for("auth.recovery_codes"))
            _show_codes_once(codes, state.get("next") or url_for("main.home"))
            return response
    status = 400 if form.is_submitted() else 200
    return render_template("auth/set_up_code.html", form=form, secret=secret, required=True,
                           qr=mfa.qr_code_data_uri(mfa.provisioning_uri(user, secret)),
                           action=url_for("auth.set_up_code")), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    """End the session on the server and in the browser."""
    operations.log_out(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have logged out.", "success")
    return redirect(url_for("auth.login"))


# --- single sign-on ---------------------------------------------------------------------------------


def _provider_or_404(code: str) -> sso.Provider:
    provider = sso.provider_by_code(code.upper())
    if provider is None:
        abort(404)
    return provider


@bp.get("/login/sso/<code>")
def sso_start(code: str) -> Response:
    """Send the person to their organisation's identity provider."""
    provider = _provider_or_404(code)
    next_path = _safe_next(request.args.get("next"))
    session["sso_next"] = next_path
    try:
        return sso.client(provider).authorize_redirect(
            public_url_for("auth.sso_callback", code=provider.organisation_code.lower())
        )
    except (RequestException, OAuthError, ValueError) as error:
        current_app.logger.warning("SSO start for %s failed: %s", provider.organisation_code, error)
        flash(f"{provider.name} could not be reached. Try again in a few minutes.", "error")
        return redirect(url_for("auth.login"))


@bp.get("/login/sso/<code>/callback")
def sso_callback(code: str) -> str | Response | tuple[str, int]:
    """The identity provider's answer: a signed ID token naming the person."""
    provider = _provider_or_404(code)
    next_path = _safe_next(session.pop("sso_next", None))
    try:
        token = sso.client(provider).authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        user = sso.match_user(provider, claims)
        signed_in = operations.log_in_with_sso(user, _client_address(), provider=provider.organisation_code)
    except operations.SecondFactorRequired as needed:
        db.session.commit()
        return _after_first_step(needed.user, next_path, "sso", needed)
    except OperationError as refused:
        db.session.rollback()
        return _sso_refused(refused.message)
    except (OAuthError, RequestException, ValueError, KeyError) as error:
        db.session.rollback()
        current_app.logger.warning("SSO callback for %s refused: %s", provider.organisation_code, error)
        return _sso_refused(f"Signing in with {provider.name} did not work. Try again.")
    db.session.commit()
    return _finish_login(signed_in, next_path)


def _sso_refused(message: str) -> tuple[str, int]:
    return render_template("auth/login.html", form=LoginForm(formdata=None), error=message,
                           providers=sso.providers(), next_path=url_for("main.home")), 400


# --- passwords --------------------------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> str | tuple[str, int]:
    """Ask for a reset link. The answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        operations.request_password_reset(form.email.data or "")
        db.session.commit()
        return render_template("auth/forgot_sent.html", email=form.email.data)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/forgot.html", form=form), status


def _set_password_page(token: str, purpose: TokenPurpose) -> str | Response | tuple[str, int]:
    if operations.valid_token(token, purpose) is None:
        return render_template("auth/link_expired.html", purpose=purpose.value), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            operations.set_password_with_link(token, purpose, form.new_password.data or "")
        except OperationError as error:
            db.session.rollback()
            (form.new_password.errors if error.field else form.form_errors).append(error.message)
        else:
            db.session.commit()
            logout_user()  # every session of the account has ended; this browser's too
            session.clear()
            flash("Your password is set. Log in with it now.", "success")
            return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/set_password.html", form=form, purpose=purpose.value), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response | tuple[str, int]:
    """Choose a new password through the link sent by mail."""
    return _set_password_page(token, TokenPurpose.PASSWORD_RESET)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> str | Response | tuple[str, int]:
    """Choose a first password through the invitation sent by mail."""
    return _set_password_page(token, TokenPurpose.INVITATION)


# --- your account -----------------------------------------------------------------------------------


@bp.get("/account")
@login_required
def account() -> str:
    """Your password, your authenticator app, recovery codes and remembered devices."""
    return render_template(
        "auth/account.html",
        recovery_left=mfa.unused_recovery_codes(current_user) if current_user.has_mfa else 0,
        local_passwords=sso.local_passwords_allowed(current_user.organisation),
        confirm=ConfirmCodeForm(),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response | tuple[str, int]:
    """Change your own password (your other sessions end)."""
    if not sso.local_passwords_allowed(current_user.organisation):
        abort(404)
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(current_user, current=form.current_password.data or "",
                                       new=form.new_password.data or "")
        except OperationError as error:
            db.session.rollback()
            getattr(form, error.field or "new_password").errors = [error.message]
        else:
            db.session.commit()
            flash("Your password has been changed. Your other sessions have been logged out.", "success")
            return redirect(url_for("auth.account"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form), status


@bp.route("/account/authenticator", methods=["GET", "POST"])
@login_required
def set_up_authenticator() -> str | Response | tuple[str, int]:
    """Add an authenticator app to your account."""
    if current_user.has_mfa:
        return redirect(url_for("auth.account"))
    secret = session.get(_SETUP_SECRET) or mfa.new_secret()
    session[_SETUP_SECRET] = secret
    form = SetUpCodeForm()
    if form.validate_on_submit():
        try:
            codes = mfa.enable_mfa(current_user, secret, form.code.data or "")
        except OperationError as error:
            db.session.rollback()
            form.code.errors = [error.message]
        else:
            db.session.commit()
            session.pop(_SETUP_SECRET, None)
            _show_codes_once(codes, url_for("auth.account"))
            return redirect(url_for("auth.recovery_codes"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/set_up_code.html", form=form, secret=secret, required=False,
                           qr=mfa.qr_code_data_uri(mfa.provisioning_uri(current_user, secret)),
                           action=url_for("auth.set_up_authenticator")), status


def _show_codes_once(codes: list[str], continue_to: str) -> None:
    # In the signed session cookie for one page view: they are the person's own, and we keep only digests.
    session[_CODES] = {"codes": codes, "next": continue_to}


@bp.get("/account/recovery-codes")
@login_required
def recovery_codes() -> str | Response:
    """New recovery codes, shown once."""
    shown = session.pop(_CODES, None)
    if not isinstance(shown, dict):
        return redirect(url_for("auth.account"))
    return render_template("auth/recovery_codes.html", codes=shown["codes"], continue_to=_safe_next(shown["next"]))


@bp.post("/account/authenticator/recovery-codes")
@login_required
def new_recovery_codes() -> Response:
    """Replace your recovery codes (a current code proves it is you)."""
    form = ConfirmCodeForm()
    if form.validate_on_submit():
        try:
            codes = mfa.regenerate_recovery_codes(current_user, form.code.data or "")
        except OperationError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            _show_codes_once(codes, url_for("auth.account"))
            return redirect(url_for("auth.recovery_codes"))
    else:
        flash("Enter the 6-digit code from your authenticator app.", "error")
    return redirect(url_for("auth.account"))


@bp.post("/account/authenticator/remove")
@login_required
def remove_authenticator() -> Response:
    """Turn the second factor off (not for administrators or the STP Leader)."""
    form = ConfirmCodeForm()
    if form.validate_on_submit():
        try:
            mfa.disable_mfa(current_user, form.code.data or "")
        except OperationError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash("Your authenticator app has been removed from your account.", "success")
    else:
        flash("Enter the 6-digit code from your authenticator app.", "error")
    return redirect(url_for("auth.account"))


@bp.post("/account/devices/forget")
@login_required
def forget_devices() -> Response:
    """Forget every remembered device: each asks for a code again."""
    count = mfa.forget_devices(current_user)
    db.session.commit()
    flash(f"{count} remembered device{'s' if count != 1 else ''} forgotten." if count else
          "No devices were remembered.", "success")
    response = redirect(url_for("auth.account"))
    response.delete_cookie(mfa.REMEMBER_COOKIE)
    return response
