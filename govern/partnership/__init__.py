"""The partnership itself: the MoU, its parties, its subordinate groups and its principles."""
