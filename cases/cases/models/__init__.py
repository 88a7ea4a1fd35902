"""Cases: models."""
