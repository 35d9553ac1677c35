"""The competence portfolio and the gap analysis (issue 13)."""
