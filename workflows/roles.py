"""Roles a user holds relative to one case (a dispute, a recommendation or a Board's ratification)."""

from __future__ import annotations

from enum import StrEnum


class CaseRole(StrEnum):
    """A user's role relative to a case; the app computes the set, the workflows check it."""

    #: An officer (partner CEO or nominated deputy, 10.3) of the party that notified the dispute.
    FILING_PARTY = "filing_party"
    #: An officer of Scenario 1's second party (the dispute is brought jointly).
    OTHER_PARTY = "other_party"
    #: An officer of an organisation on the other side of the dispute, named at filing (Scenario 4's
    #: organisation whose practice changed; the other side of a 16.2 or escalation dispute).  A party:
    #: it sees the dispute, is told of each step, responds to the outcome, and never sits on the panel.
    RESPONDENT = "respondent"
    #: An officer of any party to the dispute (includes FILING_PARTY, OTHER_PARTY and RESPONDENT users).
    PARTY = "party"
    #: The CEO (or regulator equivalent) of an organisation nominated to the dispute's panel.
    PANEL_MEMBER = "panel_member"
    #: Whoever currently holds the STP Leader assignment (clause 6).
    STP_LEADER = "stp_leader"
    #: The programme office that runs PDEG's agenda and records its outcomes.
    PDEG_SECRETARIAT = "pdeg_secretariat"
    #: Whoever raised a recommendation: the chair of the subordinate group, an officer of the member
    #: organisation, or the STP Leader.
    RAISER = "raiser"
    #: The Board secretary of the party whose Board is asked to ratify (10.6).
    BOARD_SECRETARY = "board_secretary"
    #: Manages organisations and accounts; takes no part in the MoU's processes.
    ADMINISTRATOR = "administrator"
    #: The application itself, acting on an effect of another case (e.g. a ratification lapsing
    #: because its party withdrew, clause 15).  Never give this role to a person.
    SYSTEM = "system"


DISPUTE_PARTY_ROLES = frozenset({CaseRole.FILING_PARTY, CaseRole.OTHER_PARTY, CaseRole.RESPONDENT, CaseRole.PARTY})
