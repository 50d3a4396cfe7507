"""``/search``: find a dispute, a paper or a decision by its words, among what the person may see."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from govern.search import query
from govern.search.models import KINDS

bp = Blueprint("search", __name__)


@bp.get("/search")
@login_required
def index() -> str:
    """The search box, and a page of results ranked best first (``q``; ``kind``, ``year``; ``after``)."""
    words = request.args.get("q", "").strip()[: query.MAX_QUERY]
    kinds = [k for k in request.args.getlist("kind") if k in KINDS]
    year_text = request.args.get("year", "")
    year = int(year_text) if year_text.isdigit() else None
    results = query.search(current_user, words, kinds=kinds, year=year, cursor=request.args.get("after"))
    here = {"q": words or None, "kind": kinds or None, "year": year}
    return render_template(
        "search/index.html", words=words, kinds=kinds, year=year, results=results, kind_choices=KINDS,
        years=query.years(),
        next_url=url_for("search.index", **here, after=results.next_cursor) if results.next_cursor else None,
        first_url=None if results.is_first else url_for("search.index", **here),
    )
