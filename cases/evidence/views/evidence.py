"""Evidence downloads: the only way a stored file leaves Patuh.

Order matters: (1) anonymous visitors go to the login page whatever the id, so existence is not
leaked; (2) the one scoping rule (`Evidence.objects.visible_to`) turns anything out of scope into a
404, never a 403; (3) the stored bytes are re-hashed and the download is written to the chain of
custody before a byte is sent; (4) the response is an attachment the browser must not sniff or cache.
"""

from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from cases.evidence.services.evidence import EvidenceIntegrityError, open_for_download
from cases.models import Evidence

# Evidence may be an HTML page archive: should a browser ever render it, it runs nothing and loads nothing.
EVIDENCE_CSP = "default-src 'none'; sandbox"


def custody_meta(request: HttpRequest) -> dict:
    """Who is on the other end, for the chain of custody: client IP and user agent."""
    ip = request.META.get("REMOTE_ADDR", "")
    proxies = settings.EVIDENCE_TRUSTED_PROXY_COUNT
    if proxies:
        # Each trusted proxy appends the address it saw; the client's is `proxies` entries from the end.
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            ip = forwarded[-proxies]
    return {"ip_address": ip, "user_agent": request.META.get("HTTP_USER_AGENT", "")}


@require_GET
def download_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("admin:login"))
    evidence = get_object_or_404(Evidence.objects.visible_to(request.user).select_related("case"), pk=pk)
    x_accel = settings.EVIDENCE_X_ACCEL_PREFIX
    try:
        handle = open_for_download(evidence, actor=request.user, request_meta=custody_meta(request),
                                   keep_open=not x_accel)
    except EvidenceIntegrityError as exc:
        # 409 Conflict, not 500: nothing crashed, the stored file conflicts with its record, and retrying
        # will not help. Not 404 either: this user may see the item, and hiding the failure from them
        # would hide tampering. The alert is already on the custody trail.
        response = render(request, "admin/cases/evidence/integrity_failure.html",
                          {"evidence": evidence, "result": exc.result}, status=409)
        return _private(response)

    if x_accel:
        # nginx serves the bytes from its `internal` location; see docs/evidence.md.
        response = HttpResponse(content_type=evidence.content_type)
        response["X-Accel-Redirect"] = x_accel.rstrip("/") + "/" + quote(evidence.file.name)
        response["Content-Disposition"] = content_disposition_header(True, evidence.download_name)
    else:
        response = FileResponse(handle, as_attachment=True, filename=evidence.download_name,
                                content_type=evidence.content_type)
    return _private(response)


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = EVIDENCE_CSP
    response["Referrer-Policy"] = "no-referrer"
    return response
