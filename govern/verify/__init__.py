"""Records anyone can check: every PDF record issued is registered (its SHA-256, the audit event it
reflects) with one audit event, and ``/verify`` says whether a record, or a reference and hash, matches."""
