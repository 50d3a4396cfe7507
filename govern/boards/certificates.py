"""The ratification certificate: issued when every remaining party's Board has ratified (10.6; 17.2).

Heard through ``govern.cases.signals`` in the transaction of the transition that completes the
ratification, so the certificate exists if and only if the decision is ratified. It carries that
transition's audit event (its number and hash): a printed certificate is checked against the trail.
It writes no audit event of its own: the transition's event is the certificate's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from govern.audit.models import AuditEvent
from govern.boards.models import RatificationCertificate
from govern.cases import signals
from govern.cases.models import CaseKind
from govern.extensions import db
from govern.pdeg import states


@signals.case_transitioned.connect
def _issue_on_ratification(kind: CaseKind, *, row: Any, outcome: Any, now: Any, **_: Any) -> None:
    if kind is not CaseKind.RECOMMENDATION or outcome.state_after not in states.ratified_by_all():
        return
    issue_certificate(row, now)


def issue_certificate(recommendation: Any, now: Any) -> RatificationCertificate:
    """Issue (once) the certificate of a ratified decision, carrying its newest audit event."""
    existing = db.session.scalar(
        select(RatificationCertificate).where(RatificationCertificate.recommendation_id == recommendation.id)
    )
    if existing is not None:
        return existing
    event = db.session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.object_type == CaseKind.RECOMMENDATION.value,
               AuditEvent.object_id == str(recommendation.id))
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).one()
    certificate = RatificationCertificate(
        recommendation_id=recommendation.id, version=recommendation.amendment_version,
        reference=f"RC-{recommendation.reference}", issued_at=now, audit_seq=event.seq, audit_hash=event.hash,
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def certificate_of(recommendation_id: int) -> RatificationCertificate | None:
    """The decision's certificate, if it has been issued."""
    return db.session.scalar(
        select(RatificationCertificate).where(RatificationCertificate.recommendation_id == recommendation_id)
    )
