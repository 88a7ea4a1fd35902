"""Sanctions: views."""
