"""A process's diagram, drawn by the state machine library's own Graphviz support.

The states and the declared transitions between them, each edge labelled with its trigger; terminal
states are drawn as such. Needs Graphviz's ``dot`` (Debian's ``graphviz`` package).
"""

from __future__ import annotations

from transitions.extensions import GraphMachine

from .definitions import ProcessDefinition

__all__ = ["diagram_svg"]


class _Drawn:
    """The model the diagram machine draws (it never runs)."""


def _svg(definition: ProcessDefinition) -> bytes:
    transitions = [
        {"trigger": t.trigger, "source": t.source, "dest": t.dest or t.source}
        for t in definition.transitions
    ]
    # One edge per (trigger, source, dest): several declared routes of one trigger draw once.
    unique = list({(t["trigger"], t["source"], t["dest"]): t for t in transitions}.values())
    machine = GraphMachine(
        model=None,
        states=[s.name for s in definition.states],
        transitions=unique,
        initial=definition.initial,
        auto_transitions=False,
        graph_engine="graphviz",
        title=definition.title,
        show_conditions=False,
        show_state_attributes=False,
    )
    model = _Drawn()
    machine.add_model(model)
    graph = model.get_graph()  # type: ignore[attr-defined]
    graph.graph_attr.update(rankdir="TB")  # top to bottom: a long ladder stays readable on a page
    for state in definition.states:
        if state.terminal:
            graph.node(state.name, peripheries="2")
    return graph.pipe(format="svg")


_DRAWN: dict[int, tuple[ProcessDefinition, bytes]] = {}


def diagram_svg(definition: ProcessDefinition) -> bytes:
    """The diagram of ``definition`` as SVG (drawn once per definition)."""
    found = _DRAWN.get(id(definition))
    if found is None or found[0] is not definition:
        found = (definition, _svg(definition))
        _DRAWN[id(definition)] = found
    return found[1]
