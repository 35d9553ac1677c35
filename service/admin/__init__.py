"""The centre admin's blueprint (``/admin``): centre-level satisfaction statistics."""
