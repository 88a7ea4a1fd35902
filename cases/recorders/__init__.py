"""Recorders: the writers every service and the workflow share, below them and above the models.

Bulk COPY lives here (`bulk`); the event, rollup, outbox and deadline writers are still in `cases/services/`
(events, rollups, notifications, deadlines, references) and are in the same layer of the import contract
(`[tool.importlinter]` in pyproject.toml).
"""
