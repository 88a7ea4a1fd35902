"""Accounts and security: sessions, deactivation, two-step login, refusal and secret-masking logs."""
