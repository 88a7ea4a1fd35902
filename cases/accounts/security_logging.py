"""A logging filter that masks secrets, so that no password, API key or bearer token reaches a log line.

Nothing in Patuh logs them on purpose (django-axes masks passwords in what it logs and keeps; Django cleans
credentials before `user_login_failed`). This is the net under that: should a future log call, or a library's,
format a request body or an Authorization header into its message, the secret is masked before it is written.
"""

import logging
import re

MASK = "[REDACTED]"

_PATTERNS = [
    # Patuh API keys, pth_<public prefix>_<secret>: keep the prefix (it names the token), drop the secret.
    (re.compile(r"\b(pth_[0-9a-f]{12}_)[A-Za-z0-9_\-]{8,}"), rf"\1{MASK}"),
    # Authorization: Bearer <key> / Basic <b64>.
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]{8,}", re.I), rf"\1 {MASK}"),
    # password=..., "password": "...", secret: ..., token=..., and the like (form, JSON, repr and kwargs shapes).
    (
        re.compile(
            r"""(?P<k>\b[\w-]*(?:password|passwd|secret|token|api[_-]?key|sessionid)[\w-]*['"]?\s*[:=]\s*)"""
            r"""(?P<q>['"]?)(?P<v>[^\s'"&,;}]+)""",
            re.I,
        ),
        rf"\g<k>\g<q>{MASK}",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrites the record's message with secrets masked. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to the handler to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
