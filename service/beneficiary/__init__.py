"""The beneficiary blueprint."""
