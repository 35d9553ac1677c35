"""Charts and restitution reports (matplotlib Figure API, HTML/PDF rendering).

Imports ``scoring`` and ``instruments``; never Flask or the database.
"""
