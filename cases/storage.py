"""Where evidence files live: never under a public URL.

The backend comes from `settings.EVIDENCE_STORAGE` (a `{"BACKEND": ..., "OPTIONS": {...}}` dict like an
entry of Django's STORAGES): a private local directory (`EVIDENCE_ROOT`) by default, or S3-compatible
object storage through django-storages (see the `# --- Evidence ---` block in portal/settings.py and
docs/evidence.md). Files are only ever read back by the download view and `verify_evidence`.

The model field holds a lazy proxy that builds the backend on first use and is rebuilt whenever a test
overrides one of the settings below, so `override_settings(EVIDENCE_ROOT=tmp_path)` just works.
"""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from django.utils.module_loading import import_string

LOCAL_BACKEND = "cases.storage.PrivateFileSystemStorage"
_SETTINGS = {"EVIDENCE_ROOT", "EVIDENCE_STORAGE"}
INCOMING_DIR = ".incoming"  # uploads are spooled here before they are stored; never a stored name


class PrivateFileSystemStorage(FileSystemStorage):
    """A local directory with no URL: evidence is served only by the download view (or nginx, told by it)."""

    def __init__(self, **options):
        options.setdefault("location", settings.EVIDENCE_ROOT)
        options.setdefault("file_permissions_mode", 0o640)
        options.setdefault("directory_permissions_mode", 0o750)
        super().__init__(**options)

    def url(self, name):
        raise NotImplementedError("Evidence has no public URL; link to the evidence download view.")


class _LazyEvidenceStorage(LazyObject):
    def _setup(self):
        config = getattr(settings, "EVIDENCE_STORAGE", None) or {}
        backend = import_string(config.get("BACKEND", LOCAL_BACKEND))
        self._wrapped = backend(**config.get("OPTIONS", {}))


_storage = _LazyEvidenceStorage()


def evidence_storage() -> Storage:
    """The storage of `Evidence.file` (a callable, so migrations do not freeze the backend)."""
    return _storage


def reset_evidence_storage() -> None:
    _storage._wrapped = empty


@receiver(setting_changed)
def _reset_on_setting_change(*, setting, **kwargs):
    if setting in _SETTINGS:
        reset_evidence_storage()


def is_local() -> bool:
    """Whether files sit in a local directory (the X-Accel mode of nginx needs that)."""
    return isinstance(_storage, FileSystemStorage)


def stored_name(sha256: str, extension: str) -> str:
    """The generated name of a stored file: content-addressed, so it says nothing about the uploader's name."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def new_spool_file() -> tuple[int, str]:
    """An exclusive (0600) temporary file inside EVIDENCE_ROOT, so uploads never land in a shared /tmp and
    a local store can take the file with a rename instead of a copy."""
    incoming = Path(settings.EVIDENCE_ROOT) / INCOMING_DIR
    incoming.mkdir(mode=0o700, parents=True, exist_ok=True)
    return tempfile.mkstemp(prefix="upload-", suffix=".part", dir=incoming)


class SpooledFile(File):
    """A finished spool file handed to `Storage.save`. `temporary_file_path` lets FileSystemStorage move it."""

    def __init__(self, path: str):
        super().__init__(open(path, "rb"), name=os.path.basename(path))  # noqa: SIM115 - closed by the caller
        self._path = path

    def temporary_file_path(self) -> str:
        return self._path
