"""The favicon, at the address browsers ask for without being told (/favicon.ico): Patuh's check mark."""

from pathlib import Path

from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

ICON = Path(__file__).resolve().parent.parent / "static" / "patuh" / "favicon.svg"


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    return HttpResponse(ICON.read_bytes(), content_type="image/svg+xml")
