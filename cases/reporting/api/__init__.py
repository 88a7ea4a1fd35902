"""Reporting: api."""
