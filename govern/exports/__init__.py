"""Exports: the decisions register as CSV and JSON (streamed), and a whole case (a dispute, or a PDEG decision)
as a zip."""
