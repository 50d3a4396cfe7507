"""The benchmarks' yardstick: a bare Flask + Flask-SQLAlchemy page that renders 50 of 10,000 rows
from SQLite by an index. The pages of govern are measured against it, side by side, under the same
gunicorn (issue 14, item 4): "ratio" is a page's requests per second over this page's.

    BASELINE_DATABASE=/tmp/baseline.sqlite3 gunicorn -w 2 'benchmarks.baseline:create_app()'
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from flask import Flask, render_template_string, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Index, String, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROWS = 10_000


class Base(DeclarativeBase):
    """Declarative base of the yardstick's one table."""


db = SQLAlchemy(model_class=Base)


class Item(db.Model):
    """A row with a due moment, listed 50 at a time by an index on (due_at, id)."""

    __tablename__ = "item"
    __table_args__ = (Index("ix_item_due", "due_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]


PAGE = """<!doctype html><html lang="en"><head><title>Items</title></head><body><main><h1>Items</h1>
<table><caption>50 of {{ total }} items</caption><thead><tr><th>Item</th><th>Due</th></tr></thead><tbody>
{% for item in items %}<tr><td><a href="/items/{{ item.id }}">{{ item.reference }}: {{ item.title }}</a></td>
<td>{{ item.due_at.strftime("%d %B %Y") }}</td></tr>{% endfor %}</tbody></table>
<a href="/?after={{ items[-1].id if items else '' }}">Next page</a></main></body></html>"""


def create_app() -> Flask:
    """The yardstick app on ``BASELINE_DATABASE`` (a SQLite file, made and filled if empty)."""
    app = Flask(__name__)
    path = os.environ.get("BASELINE_DATABASE", "/tmp/govern-baseline.sqlite3")  # noqa: S108 - a benchmark's scratch file
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    db.init_app(app)

    @app.get("/")
    def items() -> str:
        query = select(Item).order_by(Item.due_at, Item.id).limit(50)
        if request.args.get("after", "").isdigit():
            query = query.where(Item.id > int(request.args["after"]))
        rows = db.session.scalars(query).all()
        total = db.session.scalar(select(db.func.count()).select_from(Item))
        return render_template_string(PAGE, items=rows, total=total)

    return app


def fill(app: Flask) -> None:
    """Make the table and its 10,000 rows (once)."""
    with app.app_context():
        db.create_all()
        if db.session.scalar(select(db.func.count()).select_from(Item)):
            return
        start = datetime(2025, 1, 1, tzinfo=UTC)
        db.session.execute(insert(Item), [
            {"id": n, "reference": f"I{n:05d}", "title": f"Item number {n}", "due_at": start + timedelta(hours=n)}
            for n in range(1, ROWS + 1)
        ])
        db.session.commit()
