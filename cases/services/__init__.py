"""Services write; every state change in Patuh goes through a function in this package."""
