"""The Boussole web service and command line (Flask). Nothing else imports this package."""
