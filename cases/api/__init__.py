"""The REST API, v1: the same services, scoping and workflow as the consoles, for machines.

Layout: `authentication` (bearer tokens), `throttling`, `exceptions` (one error shape), `pagination`,
`renderers` (CSV), `idempotency`, `serializers`, `views/`, `urls`. See docs/api.md.
"""
