"""What the case runner announces, so features hear about cases without the runner knowing them.

The runner sends; ``govern.deadlines.tracking`` (deadlines and notices) listens. Receivers run in the
same transaction as the change, and never commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A transition happened: sent with the case kind, and ``row``, ``definition``, ``outcome``, ``user``, ``now``.
case_transitioned = _signals.signal("case-transitioned")
#: A case's deadlines may have moved without a transition (an event time corrected, a process set out):
#: sent with the case kind, and ``row``, ``definition``, ``now``.
case_changed = _signals.signal("case-changed")
#: An interest declared at a PDEG meeting: sent with ``user`` (who recorded it), ``person``, ``organisation_id``,
#: ``description``, ``recommendation_id`` (the item's, if any) and ``now``. The register of interests listens.
interest_declared = _signals.signal("interest-declared")
