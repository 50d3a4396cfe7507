"""Flask-Login wired to server-side sessions (see :func:`govern.auth.operations.load_session`)."""

from __future__ import annotations

from flask import Flask

from govern.auth.models import User
from govern.auth.operations import load_session
from govern.extensions import login_manager


def init_app(app: Flask) -> None:
    """Load the user from the session token on every request; refuse ended sessions."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(token: str) -> User | None:
        return load_session(token)
