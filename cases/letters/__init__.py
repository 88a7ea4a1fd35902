"""The letters' built-in texts (version 1 of each template) and their fixed layout (cases/services/letters.py)."""
