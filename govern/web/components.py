"""NHS.UK frontend components, rendered once per distinct set of parameters.

An ``nhsuk-frontend-jinja`` macro is a pure function of its parameters, but each call includes its
template afresh and runs its attribute helpers: the header alone costs more than a whole simple page
of ours. Every page draws the same header, footer and skip link, and lists draw the same buttons and
tags again and again, so :func:`component` keeps each distinct output (a bounded LRU, per process):
the markup is exactly what the macro writes. It holds nothing from the database, only markup derived
from the parameters, so it cannot go stale and is safe with several servers.

Parts that differ on every request (the log-out form's CSRF token) are passed as placeholders and
filled in after the cached markup is found: ``component("header", params, {"<!--x-->": form})``. A
placeholder's value must be one line (the macros indent the lines of ``html`` they are given).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from jinja2 import Undefined
from markupsafe import Markup

#: How many rendered components a process keeps (each a few KB at most).
MAX_ENTRIES = 2048

#: The components kept (by their macro's name), each rendered from NHS.UK's own template for it.
#: ``templates/nhsuk/components/<folder>/macro.jinja`` replaces each one's macro with a call of
#: :func:`component`, so every ``{% from "nhsuk/components/button/macro.jinja" import button %}``
#: in any template gets the same markup, kept; a ``{% call %}`` of one still runs NHS.UK's template.
COMPONENTS = {
    "header": "header",
    "footer": "footer",
    "skipLink": "skip-link",
    "button": "button",
    "tag": "tag",
    "backLink": "back-link",
    "insetText": "inset-text",
    "warningCallout": "warning-callout",
    "input": "input",
    "select": "select",
    "textarea": "textarea",
    "radios": "radios",
    "checkboxes": "checkboxes",
    "errorSummary": "error-summary",
    "pagination": "pagination",
    "summaryList": "summary-list",
    "panel": "panel",
    "notificationBanner": "notification-banner",
}


class _Unhashable(Exception):
    pass


def _key(value: Any) -> Any:
    """A hashable key equal for parameters that render the same (Markup and text kept apart: the
    macros escape text and not Markup). Any other type (an enum, a date) is not cached at all."""
    kind = type(value)
    if kind is Markup:
        return ("m", str(value))
    if kind is str:
        return value
    if value is None or kind in (bool, int, float):  # exactly these: an enum member prints otherwise
        return (kind.__name__, value)
    if isinstance(value, Undefined):
        return ("u",)
    if isinstance(value, Mapping):
        return ("d", tuple(sorted((str(k), _key(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("l", tuple(_key(v) for v in value))
    raise _Unhashable(type(value).__name__)


class ComponentCache:
    """Rendered components by (name, parameters), least recently used dropped first."""

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self.entries: OrderedDict[Any, Markup] = OrderedDict()
        self.hits = self.misses = 0

    def render(self, app: Flask, name: str, params: Mapping[str, Any]) -> Markup:
        try:
            key = (name, _key(params))
        except _Unhashable:
            key = None
        if key is not None:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
                self.hits += 1
                return found
        self.misses += 1
        # NHS.UK's template for the component, as its macro includes it (``params``, no caller); the
        # template escapes what it is given as text.
        template = app.jinja_env.get_template(f"nhsuk/components/{COMPONENTS[name]}/template.jinja")
        markup = Markup(template.render(params=params))  # noqa: S704
        if key is not None:
            self.entries[key] = markup
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return markup


def component(name: str, params: Mapping[str, Any], fill: Mapping[str, Any] | None = None) -> Markup:
    """The NHS.UK ``name`` component (``header``, ``footer``, ``button``, ...) for ``params``, as its
    macro writes it; each ``fill`` placeholder replaced by its (one-line) markup."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    markup = app.extensions["govern_components"].render(app, name, params)
    for placeholder, value in (fill or {}).items():
        # Markup.replace escapes what is not Markup: text given as a fill is escaped, markup is not.
        markup = markup.replace(Markup(placeholder), value)  # noqa: S704 - our own placeholder, a constant
    return markup


def init_app(app: Flask) -> None:
    """``component(...)`` in every template; one cache per app."""
    app.extensions["govern_components"] = ComponentCache()
    app.jinja_env.globals["component"] = component
