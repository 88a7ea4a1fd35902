"""Api: models."""
