"""Run calls at the same instant, each on its own database connection (PostgreSQL race tests)."""

import threading

from django.db import connection


def race(*calls):
    """Start every call at once; return (results, errors). Every exception is kept, none lost in a thread."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(fn):
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - returned to the test, which says what it expects
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors
