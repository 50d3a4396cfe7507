"""Each Board's meetings, the ratification forecast, chasers to Board secretaries, certificates (10.6)."""
