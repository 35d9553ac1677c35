"""The person's per-recipient agreement to send their results to the centre's software."""
