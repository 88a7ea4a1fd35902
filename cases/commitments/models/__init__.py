"""Commitments: models."""
