"""The ministry console's integrity page: when the audit chains and the stored evidence were last verified,
with what result and chain heads; any ministry officer (auditors first) may start a check."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from cases.evidence.services import integrity


def integrity_view(site):
    def view(request):
        if request.method == "POST":
            integrity.start_check(request.user)
            messages.success(request, _("Check started: the audit chains are walked and every stored evidence file "
                                        "is re-hashed. Reload this page to see the result."))
            return HttpResponseRedirect(reverse(f"{site.name}:integrity"))
        context = {**site.each_context(request), "title": _("Integrity of the records"), **integrity.last_checks()}
        return TemplateResponse(request, "patuh/integrity.html", context)

    return view


def integrity_urls(site):
    return [path("integrity/", site.admin_view(integrity_view(site)), name="integrity")]
