"""Reporting: models."""
