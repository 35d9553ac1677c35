"""synthesis feature."""
