"""PDEG recommendations and each party's Board ratification (clause 10, Schedule 4, 17.2)."""
