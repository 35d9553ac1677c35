"""Who accessed my data: the beneficiary's view of the audit log of their bilans."""
