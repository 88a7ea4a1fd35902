"""Meetings and the platforms' commitments, and how they are measured."""
