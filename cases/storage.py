"""Where evidence files live: never under a public URL."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def evidence_storage():
    return FileSystemStorage(location=settings.EVIDENCE_ROOT, base_url=None)
