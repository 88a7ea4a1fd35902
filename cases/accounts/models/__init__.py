"""Accounts: models."""
