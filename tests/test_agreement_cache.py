"""The running agreement is kept parsed in each process (by the digest of its text), never stale.

Several servers share one database: a version loaded on one must be what the next request on any
other shows, and a case started under an older version keeps the older text. Only immutable things
(a version's text, named by its digest) may be kept in a process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from govern.agreements import service
from govern.agreements.models import AgreementVersion
from govern.auth.models import User
from govern.extensions import db
from tests.conftest import TEST_CONFIG
from workflows import registry

NEW_TITLE = "Devon STP memorandum of understanding for governance, as amended"


def _amended(tmp_path: Path) -> Path:
    text = registry.default_path().read_text(encoding="utf-8")
    old_title = registry.default().title
    assert old_title in text
    path = tmp_path / "amended.yaml"
    path.write_text(text.replace(old_title, NEW_TITLE, 1), encoding="utf-8")
    return path


def test_a_version_loaded_on_another_server_is_what_the_next_request_shows(
    app: Flask, make_app: Callable[..., Flask], client_for: Callable[[User], FlaskClient],
    make_user: Callable[..., User], tmp_path: Path,
) -> None:
    reader = client_for(make_user())
    first = reader.get("/agreement").get_data(as_text=True)
    assert "Version 1," in first and NEW_TITLE not in first
    old_id = service.current_version().id

    # Another server on the same database loads an amended text.
    other = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    with other.app_context():
        row, created = service.load_file(_amended(tmp_path))
        db.session.commit()
        assert created and row.version == 2

    after = reader.get("/agreement").get_data(as_text=True)
    assert "Version 2," in after and NEW_TITLE in after

    with app.app_context():  # a fresh request: the running version is the new one; the old stays old
        assert service.current().title == NEW_TITLE
        assert service.agreement_of(old_id).title != NEW_TITLE
        assert service.agreement_of(row.id).title == NEW_TITLE


def test_the_running_agreement_is_read_without_its_text_or_a_parse(app: Flask) -> None:
    with app.app_context():
        service.current()  # parsed once in this process

    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            for _ in range(3):
                service.current()
                service.agreement_of(service.current_version().id)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
    about_versions = [s for s in statements if "agreement_version" in s]
    assert len(about_versions) == 1, about_versions  # one small query a request
    assert "agreement_version.text" not in about_versions[0]


def test_a_cached_agreement_is_named_by_its_text_not_its_row_id(app: Flask, tmp_path: Path) -> None:
    """Two databases may both have a version 1 with different texts (one process can serve tests, or
    tools, on several): what is kept is named by the text's digest, so neither sees the other's."""
    with app.app_context():
        before = service.current()
        row = db.session.scalar(select(AgreementVersion).where(AgreementVersion.id == service.current_version().id))
        assert row is not None
        amended = _amended(tmp_path).read_text(encoding="utf-8")
        # The same row id with another text (as in another database): a new digest, so a new parse.
        row.text, row.digest = amended, registry.agreement_from_text(amended).digest
        db.session.commit()
    with app.app_context():
        assert service.current().title == NEW_TITLE
        assert before.title != NEW_TITLE


def test_what_is_derived_from_the_agreement_follows_a_new_version(app: Flask, tmp_path: Path) -> None:
    def title_of(agreement: object) -> str:
        return str(agreement.title)  # type: ignore[attr-defined]

    with app.app_context():
        assert service.derived("title", title_of) != NEW_TITLE
    with app.app_context():
        service.load_file(_amended(tmp_path))
        db.session.commit()
    with app.app_context():
        assert service.derived("title", title_of) == NEW_TITLE


def test_pdeg_asks_the_running_version_what_its_states_mean(
    app: Flask, make_app: Callable[..., Flask], tmp_path: Path,
) -> None:
    """What a Board's state means comes from the version the partnership runs (stored in the database),
    not from the file on this server's disk: a server whose file is older still reads the new version."""
    from govern.pdeg import states

    assert states.board_refused() == {"not_ratified"}
    text = registry.default_path().read_text(encoding="utf-8")
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(text.replace(" not_ratified", " not_supported").replace(
        "[not_ratified]", "[not_supported]"), encoding="utf-8")
    other = make_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    with other.app_context():
        service.load_file(renamed)
        db.session.commit()

    with app.app_context():  # a fresh request on this server, whose file still says "not_ratified"
        assert states.board_refused() == {"not_supported"}
        assert states.board_meaning("not_supported") == "refused"
        assert "not_ratified" not in states.board_open()


def test_a_register_page_reads_no_agreement_file(
    client_for: Callable[[User], FlaskClient], make_user: Callable[..., User], monkeypatch: object,
) -> None:
    """Pages run the stored agreement, parsed once per process: none reads the file (the register had
    read and parsed-checked it once per cell, 700 times a page)."""
    reader = client_for(make_user())
    assert reader.get("/register").status_code == 200
    reads: list[Path] = []
    original = Path.read_text

    def counting(self: Path, *args: object, **kwargs: object) -> str:
        if self.suffix == ".yaml":
            reads.append(self)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", counting)  # type: ignore[attr-defined]
    for path in ("/register", "/boards/awaiting", "/"):
        reader.get(path)
    assert reads == []
