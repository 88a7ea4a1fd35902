"""Api: services."""
