"""Reporting: views."""
