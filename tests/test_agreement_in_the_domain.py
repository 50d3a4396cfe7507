"""The agreement is data: its rules live in the agreement file and ``workflows/``, never in the app.

The app asks the definition who the parties are, which organisations may not sit on a panel, when the
papers may change, what filing needs and who is told; so no process key, dispute state name or Devon
literal appears in views, presenters, operations or templates (the demo, which files Devon's sample
cases, is the exception). PDEG's recommendations and ratifications ask their processes too
(``govern.pdeg.states``), so no state of any process is named in the app either.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from govern import ROOT
from workflows import registry
from workflows.agreement import load_agreement

AGREEMENTS = [load_agreement(p) for p in sorted((ROOT / "agreements").glob("*.yaml"))]
DISPUTE_PROCESSES = [d for a in AGREEMENTS for d in a.processes.values() if d.kind == "dispute"]
PROCESS_KEYS = {d.key for d in DISPUTE_PROCESSES}
#: Every process's states: disputes', and PDEG's recommendations and Board ratifications.
STATE_NAMES = {s.name for a in AGREEMENTS for d in a.processes.values() for s in d.states}

LEFT_OUT = ("demo.py",)
STATE_TEST = re.compile(r"""state(?:\.value)?\s*(?:==|!=|\bin\b|\bis\b)\s*[(\[]?\s*["'](\w+)["']""")
DEVON_WORDS = re.compile(r"STP Lead(?!er)|Schedule 8|[Ss]cenario [1-4]|Devon")


def _python_strings(path: Path) -> list[tuple[int, str]]:
    """String constants of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def _sources() -> list[Path]:
    files = [*(ROOT / "govern").rglob("*.py"), *(ROOT / "templates").rglob("*.html")]
    return [f for f in files if not any(part in f.as_posix() for part in LEFT_OUT)]


def _findings(path: Path) -> list[str]:
    found = []
    if path.suffix == ".py":
        text = path.read_text(encoding="utf-8")
        strings = _python_strings(path)
    else:
        text = re.sub(r"{#.*?#}", "", path.read_text(encoding="utf-8"), flags=re.S)
        strings = [(n, line) for n, line in enumerate(text.splitlines(), start=1)]
    for line, value in strings:
        for key in PROCESS_KEYS:
            if re.search(rf"\b{key}\b", value):
                found.append(f"{path.relative_to(ROOT)}:{line}: process key {key!r}")
        if DEVON_WORDS.search(value):
            found.append(f"{path.relative_to(ROOT)}:{line}: Devon's words {DEVON_WORDS.search(value).group(0)!r}")
    for number, line in enumerate(text.splitlines(), start=1):
        for match in STATE_TEST.finditer(line):
            if match.group(1) in STATE_NAMES:
                found.append(f"{path.relative_to(ROOT)}:{number}: state name {match.group(1)!r}")
    return found


def test_the_scan_covers_pdeg_and_its_states() -> None:
    scanned = {p.relative_to(ROOT).as_posix() for p in _sources()}
    assert {"govern/pdeg/queries.py", "govern/pdeg/models.py", "govern/pdeg/operations.py",
            "govern/pdeg/views.py"} <= scanned
    assert {"draft", "awaiting_ratification", "awaiting_board", "not_ratified"} <= STATE_NAMES


def test_no_process_key_state_name_or_devon_literal_in_the_app() -> None:
    findings = [f for path in _sources() for f in _findings(path)]
    assert findings == []


def test_the_scan_would_catch_each_kind_of_literal(tmp_path: Path) -> None:
    # The scanner itself can fail: a view deciding on a process key, a state name or Devon's words.
    bad = tmp_path / "view.py"
    bad.write_text(
        'def f(d):\n    """Scenario 1 in a docstring is fine."""\n'
        '    if d.process_key == "scenario_4":\n        return "Ask the STP Lead"\n'
        '    return d.state == "with_panel"\n',
        encoding="utf-8",
    )
    original = ROOT
    try:
        globals()["ROOT"] = tmp_path
        findings = _findings(bad)
    finally:
        globals()["ROOT"] = original
    assert [f.split(": ", 1)[1] for f in findings] == [
        "process key 'scenario_4'",
        "Devon's words 'STP Lead'",
        "state name 'with_panel'",
    ]


@pytest.mark.parametrize("agreement", AGREEMENTS, ids=lambda a: a.key)
def test_every_step_rule_and_deadline_names_its_clause(agreement: object) -> None:
    for definition in agreement.processes.values():  # type: ignore[attr-defined]
        assert definition.clause
        for step in definition.steps:
            assert step.clause, (definition.key, step.key)
            if step.deadline is not None:
                assert step.deadline.clause and step.deadline.text, (definition.key, step.key)
        for t in definition.transitions:
            assert t.clause, (definition.key, t.trigger)
            for rule in (*t.preconditions, *t.rules):
                assert rule.clause, (definition.key, t.trigger)


def test_the_app_runs_devon_from_its_file() -> None:
    assert registry.default().key == "devon-stp-2016"
    assert registry.default_path().name == "devon-stp-2016.yaml"
