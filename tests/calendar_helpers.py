"""Helpers shared by the calendar feed tests."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import Page


def feed_address(client: FlaskClient) -> str:
    """Make (or reset) the user's address through the page and read it back, as a path."""
    assert client.post("/calendar/reset").status_code == 302
    address = Page.of(client.get("/calendar")).text("calendar-address") or ""
    return address[address.index("/calendar/"):]
