"""Sanctions: models."""
