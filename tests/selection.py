"""What this pytest run selected by mark, for modules whose collection itself is costly.

`conftest.pytest_configure` records the -m expression before any test module is imported.
"""

MARK_EXPRESSION = ""


def deselects(*marks: str) -> bool:
    """Whether -m certainly deselects a test carrying exactly these marks (so its items need not be built)."""
    if not MARK_EXPRESSION:
        return False
    from _pytest.mark.expression import Expression

    return not Expression.compile(MARK_EXPRESSION).evaluate(lambda name, **kwargs: name in marks)
