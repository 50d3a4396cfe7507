"""NHS.UK components kept once per distinct set of parameters (govern/web/components.py): the markup
is exactly what nhsuk-frontend-jinja's own macro writes, and what differs is never mixed up."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

import pytest
from flask import Flask, render_template_string
from jinja2 import ChainableUndefined, Environment, PackageLoader
from markupsafe import Markup

from govern.web.components import COMPONENTS, ComponentCache, _key, _Unhashable

#: nhsuk-frontend-jinja's macros as published, with none of ours in front of them.
ORIGINAL = Environment(loader=PackageLoader("nhsuk_frontend_jinja"), autoescape=True, undefined=ChainableUndefined)


def _original(name: str, params: dict[str, object]) -> str:
    module = ORIGINAL.get_template(f"nhsuk/components/{COMPONENTS[name]}/macro.jinja").module
    return str(getattr(module, name)(params))


CASES = [
    ("button", {"text": "Raise a dispute", "href": "/disputes/new"}),
    ("button", {"text": "Show disputes", "classes": "nhsuk-button--secondary"}),
    ("tag", {"text": "Overdue", "classes": "nhsuk-tag--red"}),
    ("backLink", {"href": "/disputes", "text": "Back"}),
    ("skipLink", {"href": "#maincontent", "text": "Skip to main content"}),
    ("footer", {"meta": {"items": []}, "copyright": "© A partnership"}),
    ("header", {"service": {"text": "Govern", "href": "/"},
                "account": {"items": [{"html": Markup("<span>Signed in</span> A B"), "icon": True, "href": "/account"},
                                      {"html": Markup("<!--x-->")}]},
                "navigation": {"items": [{"href": "/", "text": "Home", "current": True},
                                         {"href": "/disputes", "text": "Disputes", "current": False}]}}),
    ("select", {"label": {"text": "Party"}, "id": "party", "name": "party",
                "items": [{"value": "", "text": "Any party"}, {"value": 3, "text": "R & D", "selected": True}]}),
    ("input", {"label": {"text": "Title"}, "id": "title", "name": "title", "value": "<script>",
               "errorMessage": {"text": Markup("Enter a title")}}),
    ("pagination", {"previousUrl": "/disputes", "previousPage": "First page", "nextUrl": "/disputes?after=a&b",
                    "nextPage": "Next page", "ariaLabel": "Pages of disputes"}),
    ("summaryList", {"rows": [{"key": {"text": "Reference"}, "value": {"text": "D2026-0001 <b>"}},
                              {"key": {"text": "Parties"}, "value": {"html": Markup("<ul><li>A</li></ul>")},
                               "actions": {"items": [{"href": "/x", "text": "Change",
                                                      "visuallyHiddenText": "parties"}]}}]}),
    ("panel", {"titleText": "Dispute filed", "html": Markup("Your reference is <strong>D2026-0001</strong>")}),
    ("notificationBanner", {"type": "success", "text": "Done"}),
]


@pytest.mark.parametrize(("name", "params"), CASES)
def test_every_template_gets_the_macros_own_markup_through_the_cache(app: Flask, name: str,
                                                                     params: dict[str, object]) -> None:
    folder = COMPONENTS[name]
    source = f'{{% from "nhsuk/components/{folder}/macro.jinja" import {name} %}}{{{{ {name}(params) }}}}'
    with app.test_request_context():
        first = render_template_string(source, params=params)
        again = render_template_string(source, params=params)  # from the cache
    assert first == again == _original(name, params)


def test_text_and_markup_are_kept_apart(app: Flask) -> None:
    cache = ComponentCache()
    with app.app_context():
        as_text = cache.render(app, "tag", {"text": "<b>Due</b>"})
        as_markup = cache.render(app, "tag", {"text": Markup("<b>Due</b>")})
    assert "&lt;b&gt;Due&lt;/b&gt;" in as_text
    assert "<b>Due</b>" in as_markup


def test_an_enum_or_other_type_is_rendered_each_time_never_kept() -> None:
    class Colour(str, Enum):  # noqa: UP042 - the hazard: such a member prints as "Colour.RED", not "red"
        RED = "red"

    with pytest.raises(_Unhashable):
        _key({"text": Colour.RED})
    assert _key({"text": "red"}) != _key({"text": Markup("red")})
    assert _key({"n": 1}) != _key({"n": "1"}) != _key({"n": True})


def test_the_cache_is_bounded(app: Flask) -> None:
    cache = ComponentCache(size=3)
    with app.app_context():
        for n in range(10):
            cache.render(app, "tag", {"text": f"Tag {n}"})
    assert len(cache.entries) == 3


def test_a_fill_is_escaped_unless_it_is_markup(app: Flask) -> None:
    from govern.web.components import component

    with app.test_request_context():
        params = {"text": Markup("<!--slot-->")}
        assert "<i>x</i>" in component("tag", params, {"<!--slot-->": Markup("<i>x</i>")})
        assert "&lt;i&gt;" in component("tag", params, {"<!--slot-->": "<i>x</i>"})


def test_warming_up_compiles_the_templates_and_parses_the_agreement(app: Flask) -> None:
    from govern import warm_up
    from govern.agreements import service

    service._PARSED.clear()
    warm_up(app)
    assert app.jinja_env.cache is not None
    assert any(key[1] == "layout.html" for key in app.jinja_env.cache)
    assert service._PARSED  # the running agreement, parsed before any request


def test_warming_up_without_a_database_leaves_it_to_the_first_request(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture,
) -> None:
    from govern import warm_up

    broken = make_app({"TESTING": True, "SECRET_KEY": "x",
                       "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1"})
    warm_up(broken)  # does not raise
    assert "Could not read the running agreement" in caplog.text
