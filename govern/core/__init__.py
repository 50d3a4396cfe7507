"""Pieces every feature folder uses: the clock, column types, enums, errors."""
