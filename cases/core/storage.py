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
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from django.utils.module_loading import import_string

LOCAL_BACKEND = "cases.core.storage.PrivateFileSystemStorage"
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


def incoming_dir() -> Path:
    """EVIDENCE_ROOT/.incoming: where every byte of an upload waits until it is stored (private, 0700)."""
    incoming = Path(settings.EVIDENCE_ROOT) / INCOMING_DIR
    incoming.mkdir(mode=0o700, parents=True, exist_ok=True)
    return incoming


def new_spool_file() -> tuple[int, str]:
    """An exclusive (0600) temporary file inside EVIDENCE_ROOT, so uploads never land in a shared /tmp and
    a local store can take the file with a rename instead of a copy."""
    return tempfile.mkstemp(prefix="upload-", suffix=".part", dir=incoming_dir())


class IncomingUploadedFile(TemporaryUploadedFile):
    """Django's spooled upload, in EVIDENCE_ROOT/.incoming instead of the system's temporary folder."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        file = tempfile.NamedTemporaryFile(prefix="request-", suffix=".upload", dir=incoming_dir())  # noqa: SIM115
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)


class IncomingUploadHandler(TemporaryFileUploadHandler):
    """settings.FILE_UPLOAD_HANDLERS: a request body's file over FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) is spooled
    inside the private evidence root, never in a shared /tmp. Screenshots of abuse must not sit in a folder every
    process on the machine can list, and what a killed worker leaves there is found by
    `verify_evidence --orphans` (cases.evidence.services.evidence.find_orphans)."""

    def new_file(self, *args, **kwargs):
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.file = IncomingUploadedFile(self.file_name, self.content_type, 0, self.charset, self.content_type_extra)


class SpooledFile(File):
    """A finished spool file handed to `Storage.save`. `temporary_file_path` lets FileSystemStorage move it."""

    def __init__(self, path: str):
        super().__init__(open(path, "rb"), name=os.path.basename(path))  # noqa: SIM115 - closed by the caller
        self._path = path

    def temporary_file_path(self) -> str:
        return self._path
