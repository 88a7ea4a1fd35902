"""Api: admin."""
