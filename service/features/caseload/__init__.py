"""caseload feature."""
