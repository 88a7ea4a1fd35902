"""Evidence: admin."""
