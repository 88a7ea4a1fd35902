"""Core: admin."""
