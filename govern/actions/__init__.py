"""From decision to action: what follows a ratified decision or an accepted dispute outcome."""
