"""Reporting: admin."""
