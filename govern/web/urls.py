"""Absolute addresses, built from the configured PUBLIC_BASE_URL and never from the request.

The Host header is whatever the client sent: echoing it into a calendar address, a mailed link or an
OpenID Connect redirect would let anyone who can reach the app have it hand out links to their site.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, url_for


def public_url(path: str) -> str:
    """``path`` (starting with ``/``) on the public address of the service."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


def public_url_for(endpoint: str, **values: Any) -> str:
    """Like ``url_for(..., _external=True)``, but on PUBLIC_BASE_URL."""
    return public_url(url_for(endpoint, **values))


#: Stand-ins for whole-number arguments while a URL's pattern is built (far above any id in use,
#: within the ``int`` converter's range).
_SENTINEL = 8_000_000_000_000_000_000
_PATTERNS_MAX = 4096


def template_url_for(endpoint: str, **values: Any) -> str:
    """``url_for`` for templates, the same addresses, without building each one from the URL map: a
    list of 50 rows asks for 50 addresses that differ only in an id. The first call for an endpoint
    and set of argument names builds the address once with stand-in numbers; later calls put the
    numbers in. Only for a rule with no defaults whose numbers are plain ``int`` or string parts;
    anything else (a relative endpoint, ``_external``, other types) is plain ``url_for``. What is
    kept is derived from the URL map alone, never from the database."""
    if endpoint[0] == "." or any(name[0] == "_" for name in values):
        return url_for(endpoint, **values)
    numbers: dict[str, int] = {}
    texts: list[tuple[str, str]] = []
    for name, value in values.items():
        kind = type(value)
        if kind is int and 0 <= value < _SENTINEL:
            numbers[name] = value
        elif kind is str:
            texts.append((name, value))
        else:
            return url_for(endpoint, **values)
    from flask import request

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    patterns: dict[Any, Any] = app.extensions.setdefault("govern_url_patterns", {})
    key = (request.script_root, endpoint, tuple(sorted(texts)), tuple(sorted(numbers)))
    pattern = patterns.get(key)
    if pattern is None:
        pattern = _pattern(app, endpoint, dict(texts), sorted(numbers))
        if len(patterns) >= _PATTERNS_MAX:
            patterns.clear()
        patterns[key] = pattern
    if pattern is False:
        return url_for(endpoint, **values)
    url, stand_ins = pattern
    for stand_in, name in stand_ins:
        url = url.replace(stand_in, str(numbers[name]))
    return url


def _pattern(app: Any, endpoint: str, texts: dict[str, str], numbers: list[str]) -> Any:
    """(address with stand-ins, [(stand-in, argument)]), or False where stand-ins would not do."""
    from werkzeug.routing import IntegerConverter, UnicodeConverter

    rules = app.url_map._rules_by_endpoint.get(endpoint, [])
    if len(rules) != 1 or rules[0].defaults:
        return False
    converters = rules[0]._converters
    for name in numbers:
        converter = converters.get(name)
        if converter is not None and not (
            (isinstance(converter, IntegerConverter) and not converter.fixed_digits)
            or type(converter) is UnicodeConverter
        ):
            return False
    stand_ins = {name: _SENTINEL + n for n, name in enumerate(numbers)}
    url = url_for(endpoint, **texts, **stand_ins)
    return url, [(str(number), name) for name, number in stand_ins.items()]


def addresses(endpoint: str, argument: str) -> Callable[[int], str]:
    """``url_for(endpoint, argument=N)`` for any whole number N, the address built once: a list's rows'
    addresses differ only in the number (:func:`govern.web.urls.template_url_for` per row costs more)."""
    stand_in = 987_654_321_987_654_321
    head, found, tail = template_url_for(endpoint, **{argument: stand_in}).partition(str(stand_in))
    if not found:  # not a plain number in the address: build each one
        return lambda number: template_url_for(endpoint, **{argument: number})
    return lambda number: f"{head}{number}{tail}"
