"""Filters and globals every template can use."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, request
from flask_login import current_user
from markupsafe import Markup

LONDON = ZoneInfo("Europe/London")


def local_datetime(moment: datetime | None) -> str:
    """'25 November 2026 at 7:56pm', in London time (GOV.UK/NHS style)."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    hour = local.strftime("%I").lstrip("0") or "12"
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{local:%p}".replace("AM", "am").replace("PM", "pm")


def local_date(value: date | datetime | None) -> str:
    """'25 November 2026' (a datetime is converted to its London date first)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return _day_words(value)


@lru_cache(maxsize=4096)
def _day_words(day: date) -> str:
    """A day in words, worked out once per day (a list of 50 rows shows a handful of days, each often)."""
    return f"{day.day} {day:%B %Y}"


def iso_date(value: str | date | None) -> date | None:
    """A date stored as ISO text in an event's data, as a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def org_name(organisation_id: int, organisations: dict[int, Any]) -> str:
    """The name of an organisation id, from a preloaded ``{id: Organisation}``."""
    found = organisations.get(organisation_id)
    return found.name if found is not None else f"organisation {organisation_id}"


def nav_items() -> list[dict[str, Any]]:
    """The header navigation for the signed-in user."""
    if not current_user.is_authenticated:
        return []
    items = [("main.home", "Home")]
    role = current_user.role.value
    if role == "pdeg_secretariat":
        items.append(("pdeg.meetings", "PDEG"))
    if role == "board_secretary":
        items.append(("pdeg.awaiting", "Awaiting our Board"))
        items.append(("boards.meetings", "Our Board's meetings"))
    items.append(("pdeg.register", "Ratification register"))
    if current_user.is_stp_leader or current_user.is_administrator or role in (
        "partner_ceo", "deputy", "board_secretary"
    ):
        items.append(("disputes.index", "Disputes"))
    if current_user.is_stp_leader or current_user.is_administrator:
        items.append(("deadlines.dashboard", "Dashboard"))
    if current_user.can_manage_accounts():
        items += [("admin.users", "Accounts"), ("admin.stp_leader", role_name("stp_leader")), ("notify.outbox", "Mail")]
    items.append(("interests.register", "Interests"))
    items.append(("agreement.index", "The agreement"))
    from govern.notify.views import unread_for_header

    unread = unread_for_header(current_user.id)
    items.append(("notify.notices", f"Notices ({unread} unread)" if unread else "Notices"))
    current = request.endpoint or ""
    from govern.web.urls import template_url_for

    return [
        {"href": template_url_for(endpoint), "text": text, "current": current == endpoint}
        for endpoint, text in items
    ]


def role_name(role: str) -> str:
    """A role's name as the partnership's agreement gives it ("STP Leader")."""
    from govern.agreements import service

    return service.current().role_name(role)


def agreement(case: object = None) -> object:
    """The agreement a case runs under (its version), or the partnership's current agreement."""
    from govern.agreements import service

    return service.agreement_of(getattr(case, "agreement_version_id", None))


def partnership_name() -> str:
    """The partnership's short name, as its agreement file gives it."""
    from govern.agreements import service

    partnership = service.current().declaration.partnership
    return partnership.short_name or partnership.name


def service_name() -> str:
    """The service's name: the configured ``SERVICE_NAME``, else "Govern — " and the partnership's name."""
    from flask import current_app

    return current_app.config.get("SERVICE_NAME") or f"Govern \N{EM DASH} {partnership_name()}"


def role_of(role: str) -> object:
    """A role as the agreement declares it (name, clause, description), or None."""
    from govern.agreements import service

    return service.current().declaration.roles.get(role)


@lru_cache(maxsize=256)
def nhs_tag(text: str, classes: str = "") -> Markup:
    """The NHS.UK tag's markup (as its ``tag`` macro writes it), for tables that show one per row:
    the macro costs a template render per call, and a page of 50 rows with 14 tags each adds up.
    A handful of distinct tags exist, so each is made once."""
    return Markup('<strong class="nhsuk-tag{}">{}</strong>').format(f" {classes}" if classes else "", text)


def init_app(app: Flask) -> None:
    """Register the filters and globals."""
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["iso_date"] = iso_date
    app.jinja_env.filters["org_name"] = org_name
    app.jinja_env.globals["role_name"] = role_name
    app.jinja_env.globals["agreement"] = agreement
    app.jinja_env.globals["role_of"] = role_of
    app.jinja_env.globals["nhs_tag"] = nhs_tag
    from govern.web.urls import template_url_for

    app.jinja_env.globals["url_for"] = template_url_for  # the same addresses, built faster for lists
    app.context_processor(lambda: {"nav_items": nav_items(), "service_name": service_name(),
                                   "partnership_name": partnership_name()})
