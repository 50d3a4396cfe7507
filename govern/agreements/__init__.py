"""The partnership's agreement as data: versions of the agreement file, loaded into the database.

Every case keeps the version of the agreement it started under, so amending the file (a new version)
never changes the rules of a case already in flight.
"""
