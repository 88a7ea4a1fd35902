"""Commitments: api."""
