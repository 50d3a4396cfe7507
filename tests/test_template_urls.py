"""Templates build addresses with ``template_url_for``: the very addresses ``url_for`` gives."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Blueprint, Flask, url_for

from govern.web.urls import template_url_for


@pytest.mark.parametrize(("endpoint", "values"), [
    ("disputes.show", {"dispute_id": 5000}),
    ("disputes.show", {"dispute_id": 7}),
    ("disputes.show", {"dispute_id": 7, "tab": "papers", "n": 3}),  # the rest in the query string
    ("pdeg.recommendation", {"recommendation_id": 12}),
    ("static", {"filename": "css/govern.css"}),
    ("agreement.process", {"process_key": "a b/c"}),
    ("disputes.index", {}),
    ("disputes.show", {"dispute_id": -1}),  # not the fast path: url_for's own answer (an error)
])
def test_the_same_address_as_url_for(app: Flask, endpoint: str, values: dict[str, object]) -> None:
    with app.test_request_context():
        try:
            expected = url_for(endpoint, **values)
        except Exception as error:
            with pytest.raises(type(error)):
                template_url_for(endpoint, **values)
            return
        assert template_url_for(endpoint, **values) == expected
        assert template_url_for(endpoint, **values) == expected  # the kept pattern


def test_a_rule_with_defaults_is_built_by_url_for(make_app: Callable[..., Flask]) -> None:
    app = make_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    extra = Blueprint("extra", __name__)
    def things(page: int) -> str:
        return str(page)

    extra.add_url_rule("/things", "things", things, defaults={"page": 1})
    extra.add_url_rule("/things/page/<int:page>", "things", things)
    app.register_blueprint(extra)
    with app.test_request_context():
        assert template_url_for("extra.things", page=1) == url_for("extra.things", page=1) == "/things"
        assert template_url_for("extra.things", page=2) == url_for("extra.things", page=2)


def test_in_a_page_under_a_path_prefix(app: Flask) -> None:
    with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": "/govern"}):
        assert template_url_for("disputes.show", dispute_id=3) == url_for("disputes.show", dispute_id=3)
        assert template_url_for("disputes.show", dispute_id=3).startswith("/govern/")
