"""The counsellor blueprint."""
