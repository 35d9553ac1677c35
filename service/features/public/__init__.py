"""public feature."""
