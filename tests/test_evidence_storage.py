"""Where evidence is stored: a private directory by default, private S3 when the environment says so."""

import json
import stat
import subprocess
import sys

import pytest
from django.conf import settings

from cases.core.storage import evidence_storage
from tests.test_evidence_support import (
    evidence_dir,
    upload,
    use_temporary_evidence_root,  # noqa: F401 - autouse fixture
)


def test_it_stores_locally_without_a_url_and_with_private_permissions(make_case, analyst):
    evidence = upload(make_case(), analyst)
    path = evidence_dir() / evidence.file.name
    assert evidence_storage().location == str(evidence_dir())
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    with pytest.raises(NotImplementedError):
        evidence.file.url  # noqa: B018


@pytest.mark.slow
def test_it_configures_private_s3_storage_from_the_environment():
    """The real settings module, read with S3 variables set: no network is needed to build the backend."""
    script = (
        "import django, json; django.setup();"
        "from cases.core.storage import evidence_storage; s = evidence_storage();"
        "print(json.dumps([s.__class__.__name__, s.bucket_name, s.endpoint_url, s.location, s.default_acl,"
        " s.file_overwrite, s.querystring_auth, s.object_parameters]))"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings_test", "PATH": "/usr/bin:/bin",
        "PATUH_EVIDENCE_S3_BUCKET": "patuh-evidence", "PATUH_EVIDENCE_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "PATUH_EVIDENCE_S3_SSE": "AES256",
    }
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=str(settings.BASE_DIR), check=True,
                         capture_output=True, text=True).stdout
    assert json.loads(out) == [
        "S3Storage", "patuh-evidence", "http://127.0.0.1:9000", "evidence", "private", False, True,
        {"ServerSideEncryption": "AES256"},
    ]
