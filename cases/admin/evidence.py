"""Evidence in the ministry console (built out with evidence handling)."""
