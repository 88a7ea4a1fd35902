"""Cases: admin."""
