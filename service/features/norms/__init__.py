"""The centre's local norms: built from its own completed questionnaires, compared with the
shipped norms, and chosen per instrument for new scores (admins only)."""
