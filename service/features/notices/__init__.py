"""notices feature: telling counsellors that a questionnaire was completed."""
