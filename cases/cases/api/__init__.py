"""Cases: api."""
