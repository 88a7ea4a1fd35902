"""What this pytest run selected, for modules whose collection itself is costly.

`conftest.pytest_configure` sets it before any test module is imported.
"""

SLOW_DESELECTED = False  # `-m "not slow"` (make test-fast): tests marked slow are not run
