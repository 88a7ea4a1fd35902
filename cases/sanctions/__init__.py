"""The escalation ladder (sanctions) and the official letters."""
