"""Re-checking reported locations: fetching (`fetching`), reading what came back (`interpreters`) and keeping it as
a WARC record (`warc`). The services that plan, limit, run and act on re-checks are in
`cases/evidence/services/rechecks.py`; the job is `cases.evidence.rechecks.tasks.run_rechecks`.
"""
