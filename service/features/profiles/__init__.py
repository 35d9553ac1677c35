"""profiles feature."""
