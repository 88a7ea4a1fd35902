"""Reporting: services."""
