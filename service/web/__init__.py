"""What every feature's views share: the blueprints (one per audience), guards that load a
record or answer 404/403, download and PDF responses, form helpers, the redirect guard."""
