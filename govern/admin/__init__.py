"""The administrator's pages: accounts and the STP Leader assignment."""
