"""Takedown cases: platforms, policies, cases, their timeline, submission cycles, the case workflow, deadlines and the
sweeper, the work queues."""
