"""The standing register of interests: what each person and each organisation has declared."""
