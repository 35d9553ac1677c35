"""followup feature."""
