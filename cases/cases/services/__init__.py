"""Cases: services."""
