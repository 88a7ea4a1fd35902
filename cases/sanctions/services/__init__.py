"""Sanctions: services."""
