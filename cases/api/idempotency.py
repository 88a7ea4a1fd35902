"""`Idempotency-Key`: a retried POST replays the first response instead of acting twice.

1. The key row is inserted first, in the same transaction as the work. A concurrent request with the
   same key waits on the unique index, then finds the committed row and replays it.
2. The row remembers a hash of the method, path and body. The same key with a different request is
   refused with 422: it is a client bug, and answering it with another request's response would hide it.
3. Only responses the handler returned are stored. If it raised, the transaction (key included) rolls
   back, and a retry is simply processed again.
"""

import functools
import hashlib
import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from cases.api.exceptions import invalid, unprocessable
from cases.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200

# 1 to 200 printable ASCII characters, not starting or ending with a space: what the schema says is what is taken.
KEY = re.compile(rf"[!-~](?:[ -~]{{0,{MAX_KEY_LENGTH - 2}}}[!-~])?")
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER, {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": f"^{KEY.pattern}$"},
    OpenApiParameter.HEADER, required=False,
    description="Any unique string (e.g. a UUID) per logical request, 1 to 200 printable characters. A retry "
                "with the same key and body replays the first response (header `Idempotent-Replayed: true`); the "
                "same key with a different body answers 422 `idempotency_key_reused`.",
)


def request_hash(request) -> str:
    """The method, path and body. A JSON body as parsed; a form or multipart body (an evidence upload) as its
    fields and, for each file, its name, size and SHA-256, so a retry of the same upload is the same request
    and the same key with another file is a different one."""
    body = request.data
    if isinstance(body, QueryDict) or request.FILES:
        body = {
            "fields": sorted((k, v) for k, values in request.POST.lists() for v in values),
            "files": sorted((field, upload.name, upload.size, _sha256(upload))
                            for field, uploads in request.FILES.lists() for upload in uploads),
        }
    payload = json.dumps({"method": request.method, "path": request.path, "body": body},
                         sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(payload.encode()).hexdigest()


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def idempotent(handler):
    """Wrap a POST handler of a DRF view so that an `Idempotency-Key` header makes it safe to retry."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not KEY.fullmatch(key):
            raise invalid(_("The Idempotency-Key must be 1 to %(n)d printable ASCII characters (a UUID will do), "
                            "without spaces at either end.") % {"n": MAX_KEY_LENGTH},
                          fields={HEADER: [_("Invalid key.")]})
        digest = request_hash(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(user=request.user, key=key, request_hash=digest)
            except IntegrityError:
                return _replay(IdempotencyKey.objects.get(user=request.user, key=key), digest)
            response = handler(view, request, *args, **kwargs)
            record.response_status = response.status_code
            record.response_body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
            record.save(update_fields=["response_status", "response_body"])
        return response

    return wrapper


def _replay(record: IdempotencyKey, digest: str) -> Response:
    if record.request_hash != digest:
        raise unprocessable(
            _("This Idempotency-Key was already used for a different request. Use a new key for a new request."),
            code="idempotency_key_reused",
        )
    return Response(record.response_body, status=record.response_status, headers={"Idempotent-Replayed": "true"})
