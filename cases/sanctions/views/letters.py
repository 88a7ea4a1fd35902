"""Letter downloads: the only way a letter's PDF leaves Patuh (consoles and API alike).

As for evidence (cases/evidence/views/evidence.py): anonymous visitors go to the login page, anything out of scope is a
404, the stored bytes are re-hashed and the download written to the letter's timeline before a byte is sent
(the platform's first download is its receipt), and a file that no longer matches its hash is refused (409).
"""

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.evidence.views.evidence import _private
from cases.models import Letter
from cases.sanctions.services.letters import LetterIntegrityError, open_for_download


@require_GET
def download_letter(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("admin:login"))
    letter = get_object_or_404(Letter.objects.visible_to(request.user).select_related("case", "sanction"), pk=pk)
    if not letter.sha256:
        raise Http404  # numbered, not produced yet: nothing to send
    try:
        download = open_for_download(letter, actor=request.user)
    except LetterIntegrityError:
        text = _("Letter %(number)s no longer matches the SHA-256 recorded when it was produced; it is not sent. "
                 "The failure is logged for the ministry.") % {"number": letter.number}
        return _private(HttpResponse(text, status=409, content_type="text/plain; charset=utf-8"))
    response = HttpResponse(download.content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, letter.download_name)
    return _private(response)
