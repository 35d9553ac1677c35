"""The job database: ROME 4.0 import, the shipped snapshot, search and the fiche pages."""
