"""The letters' built-in texts (version 1 of each template) and their fixed layout
(cases/sanctions/services/letters.py)."""
