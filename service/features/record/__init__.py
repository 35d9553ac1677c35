"""record feature."""
