"""The data lifecycle: destruction of the content of a bilan on schedule, erasure."""
