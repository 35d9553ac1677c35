"""journey feature."""
