"""Plain Django views that sit beside the consoles (file downloads and the like)."""
