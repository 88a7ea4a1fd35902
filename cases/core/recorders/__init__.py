"""Recorders: the writers every service and the workflow share, below them and above the models.

Bulk COPY (`bulk`), the webhook outbox (`outbox`), and the writers of timeline events (`events`), rollups
(`rollups`), notifications (`notifications`), deadlines (`deadlines`) and references (`references`).
"""
