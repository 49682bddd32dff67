"""The book's four downstream services, served from memory on the raw protocol server.

Each data-backed service is loaded from its SQLite file (the source of truth, created and
seeded at start) into ready-made JSON bodies, so answering never waits on a database.
"""
