"""Search across what each person may see: disputes, their papers, PDEG decisions, meetings and Boards.

One ``search_document`` row per searchable thing, kept current in the same transaction as the change
(:mod:`govern.search.index`), searched with PostgreSQL full-text search or SQLite FTS5
(:mod:`govern.search.query`); who may see a result is decided by the same functions the pages use.
"""
