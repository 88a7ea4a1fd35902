"""Evidence and its chain of custody, integrity checks, re-upload matching (PDQ hashes, hash lists) and re-checks of
reported locations."""
