"""Commitments: services."""
