"""Exports: the decisions register as CSV and JSON (streamed), and a whole dispute as a zip."""
