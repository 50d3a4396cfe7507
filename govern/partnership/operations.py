"""Operations on the partnership itself: a party withdrawing from the MoU (clause 15)."""

from __future__ import annotations

from typing import Any

from govern.audit import chain
from govern.core import clock
from govern.core.errors import OperationError
from govern.extensions import db
from govern.partnership.models import MouStatus, Organisation


def withdraw_party(organisation: Organisation, user: Any, *, notice: str = "", dispute: Any = None) -> Organisation:
    """Record a party's withdrawal (clause 15: "Any Party may withdraw from this agreement at any time").

    It stops taking part in collective decisions: its pending Board ratifications lapse and it no
    longer sits on panels (the workflows' rules read the organisation's status).
    """
    from govern.pdeg.operations import lapse_ratifications_of

    if not organisation.is_party:
        raise OperationError(f"{organisation.name} is not a current party to the MoU.", clause="15")
    before = organisation.mou_status
    organisation.mou_status = MouStatus.WITHDRAWN
    organisation.withdrawn_at = clock.now()
    organisation.withdrawal_notice = notice.strip()
    db.session.flush()
    changes: dict[str, Any] = {"mou_status": [before.value, MouStatus.WITHDRAWN.value]}
    if dispute is not None:
        changes["after_dispute"] = [None, dispute.reference]
    chain.record("withdraw_party", "organisation", organisation.id, changes, actor=user)
    lapse_ratifications_of(organisation, user)
    return organisation
