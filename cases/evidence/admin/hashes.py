"""Re-upload matching in the ministry console: the review queue of matches, the decision, the side-by-side
previews, and the hash lists (import a partner's, export ours).

Every write goes through a service: `cases.evidence.services.hashing.decide_match` and
`cases.evidence.services.hashlists`. The case page shows a case's matches through the `reupload_matches` template tag
(cases/templatetags/patuh_matches.py).
"""

import io

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.core.admin.base import AddThroughServiceMixin, ReadOnlyMixin, ScopedAdmin
from cases.core.choices import CustodyKind
from cases.core.roles import MINISTRY_WRITERS, has_role, is_ministry
from cases.evidence import matches, pdq
from cases.evidence.services import hashing, hashlists
from cases.evidence.services.evidence import record_custody
from cases.evidence.views.evidence import EVIDENCE_CSP, custody_meta
from cases.models import HashList, HashMatch, MatchDecision
from cases.templatetags.patuh_matches import reupload_block

PREVIEW_SIZE = 480  # pixels, the longer side


# --- matches ---------------------------------------------------------------------------------------------


@admin.register(HashMatch)
class HashMatchAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ["found_at", "case_link", "distance", "matched", "decision", "decided_by"]
    list_filter = ["decision"]
    list_select_related = ["evidence__case", "matched_evidence__case", "matched_hash__hash_list", "decided_by"]
    search_fields = ["=evidence__case__reference", "=matched_evidence__case__reference"]
    fields = ["evidence", "matched_evidence", "matched_list", "distance", "found_at", "decision", "decided_by",
              "decided_at", "decision_note"]
    readonly_fields = fields

    change_form_template = "admin/cases/hashmatch/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The match's own page, where the review queue leads: both images side by side and, for analysts and
        supervisors, the decision (the same block as on the case page)."""
        match = self.get_object(request, unquote(object_id))
        if match is not None:
            queue = reverse("admin:cases_hashmatch_changelist")
            filters = request.GET.get("_changelist_filters")
            extra_context = {**(extra_context or {}), **reupload_block(
                request.user, match.evidence.case,
                [v for v in matches.matches_of(match.evidence, request.user) if v.match.pk == match.pk],
                next_url=f"{queue}?{filters}" if filters else queue)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("case"), ordering="evidence__case__reference")
    def case_link(self, obj):
        case = obj.evidence.case
        return format_html('<a href="{}">{}</a>', reverse("admin:cases_case_change", args=[case.pk]), case.reference)

    @admin.display(description=_("looks like"))
    def matched(self, obj):
        if obj.matched_evidence_id:
            return obj.matched_evidence.case.reference
        hash_list = obj.matched_hash.hash_list
        return gettext("list “%(list)s” (%(source)s)") % {"list": hash_list.name, "source": hash_list.source}

    @admin.display(description=_("hash list"))
    def matched_list(self, obj):
        hash_list = obj.matched_list
        return str(hash_list) if hash_list else "—"

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/decide/", self.admin_site.admin_view(self.decide_view), name=f"{prefix}_decide"),
            path("<path:object_id>/image/later/", self.admin_site.admin_view(self.later_image_view),
                 name=f"{prefix}_image_later"),
            path("<path:object_id>/image/earlier/", self.admin_site.admin_view(self.earlier_image_view),
                 name=f"{prefix}_image_earlier"),
            *super().get_urls(),
        ]

    def _match_or_404(self, request, object_id) -> HashMatch:
        match = self.get_object(request, unquote(object_id))
        if match is None or not is_ministry(request.user):
            raise Http404
        return match

    def decide_view(self, request, object_id):
        """A small form (GET) and the decision (POST). The case page links here rather than embedding the form: on a
        draft, the case page is itself one big form, and forms cannot nest."""
        match = self._match_or_404(request, object_id)
        back = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            back = reverse("admin:cases_case_change", args=[match.evidence.case_id])
        if not has_role(request.user, *MINISTRY_WRITERS):
            self.message_user(request, gettext("Only analysts and supervisors decide on matches."), messages.ERROR)
            return HttpResponseRedirect(back)
        decision = request.POST.get("decision") or request.GET.get("decision") or ""
        if request.method == "POST":
            try:
                hashing.decide_match(match, actor=request.user, decision=decision, note=request.POST.get("note", ""))
            except (ValidationError, PermissionDenied) as err:
                self.message_user(request, "; ".join(getattr(err, "messages", [str(err)])), messages.ERROR)
            else:
                other = (match.matched_evidence.case.reference if match.matched_evidence_id
                         else str(match.matched_hash.hash_list))
                text = (gettext("Confirmed: the same content as %(ref)s.") if decision == MatchDecision.CONFIRMED
                        else gettext("Dismissed: not the same content as %(ref)s."))
                self.message_user(request, text % {"ref": other}, messages.SUCCESS)
            return HttpResponseRedirect(back)
        if decision not in hashing.DECISION_EVENTS:
            return HttpResponseRedirect(back)
        view = next((v for v in matches.matches_of(match.evidence, request.user) if v.match.pk == match.pk), None)
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "match": match, "view": view,
            "decision": decision, "confirm": decision == MatchDecision.CONFIRMED, "next": back,
            "case": match.evidence.case,
            "title": gettext("Confirm: same content") if decision == MatchDecision.CONFIRMED
            else gettext("Dismiss: different content"),
        }
        return TemplateResponse(request, "patuh/match_decide_form.html", context)

    def later_image_view(self, request, object_id):
        match = self._match_or_404(request, object_id)
        return self._preview(request, match.evidence, match.evidence_hash)

    def earlier_image_view(self, request, object_id):
        match = self._match_or_404(request, object_id)
        if match.matched_evidence_id is None:
            raise Http404  # a list entry has no image: only its hash was shared
        return self._preview(request, match.matched_evidence, match.matched_hash)

    def _preview(self, request, evidence, image_hash):
        """A small re-encoded copy of the matched image, for ministry eyes only; written to the chain of custody."""
        from PIL import Image

        try:
            data = hashing.read_stored(evidence)
        except hashing.HashingError as err:
            return HttpResponse(str(err), status=409, content_type="text/plain; charset=utf-8")
        if image_hash.part:
            data = next((p.data for p in pdq.images_in_archive(data, evidence.content_type)
                         if p.name == image_hash.part), b"")
        try:
            with Image.open(io.BytesIO(data)) as image:
                picture = image.convert("RGB")
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise Http404 from None
        picture.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE))
        out = io.BytesIO()
        picture.save(out, "PNG")
        record_custody(evidence, CustodyKind.PREVIEWED, actor=request.user, request_meta=custody_meta(request),
                       note=gettext("Shown beside a possible re-upload (a re-encoded preview)."),
                       data={"part": image_hash.part} if image_hash.part else None)
        response = HttpResponse(out.getvalue(), content_type="image/png")
        response["Cache-Control"] = "no-store, private"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = EVIDENCE_CSP
        return response


# --- hash lists ------------------------------------------------------------------------------------------


class HashListImportForm(forms.ModelForm):
    upload = forms.FileField(label=_("List file"), help_text=_(
        "CSV as ThreatExchange and HMA tools write it (signal_type, signal_str, collab, category, tags, quality), "
        "PDQ hasher output (hash=…,quality=…), or one hash per line."))
    actor = None  # set per request

    class Meta:
        model = HashList
        fields = ["name", "source", "labels", "description"]

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        if upload.size > hashlists.CONSOLE_MAX_BYTES:
            raise ValidationError(gettext(
                "This file is larger than %(mb)s MB, more than a page can import before it times out. Import it "
                "from the shell: python manage.py hash_list import FILE --as USER --name NAME --source SOURCE."
            ) % {"mb": hashlists.CONSOLE_MAX_BYTES // (1024 * 1024)}, code="too_large")
        return upload

    def _post_clean(self):
        if self.errors:
            return
        data = self.cleaned_data
        upload = data["upload"]
        try:
            self.instance, skipped = hashlists.import_list(
                actor=self.actor, lines=hashlists.decode_upload(upload.file), name=data["name"],
                source=data["source"], labels=data.get("labels", ""), description=data.get("description", ""),
                original_name=getattr(upload, "name", ""),
            )
            self.instance._skipped = skipped
        except ValidationError as err:
            if hasattr(err, "error_dict"):
                self._update_errors(err)
            else:
                for message in err.messages:
                    self.add_error("upload", message)
        except PermissionDenied as err:
            self.add_error(None, str(err))


@admin.register(HashList)
class HashListAdmin(AddThroughServiceMixin, ScopedAdmin):
    list_display = ["name", "source", "labels", "entry_count", "imported_at", "imported_by"]
    search_fields = ["name", "source", "labels"]
    change_list_template = "admin/cases/hashlist/change_list.html"
    readonly_fields = ["name", "source", "labels", "description", "original_name", "entry_count", "imported_at",
                       "imported_by"]

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else ["name", "source", "labels", "description", "upload"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = HashListImportForm
            kwargs["fields"] = ["name", "source", "labels", "description"]
            form = super().get_form(request, obj, **kwargs)
            return type(form.__name__, (form,), {"actor": request.user})
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        pass  # the import form's validation stored the list through the service

    def save_related(self, request, form, formsets, change):
        pass

    def log_addition(self, request, obj, message):
        pass  # the list records who imported it and when

    def response_add(self, request, obj, post_url_continue=None):
        skipped = getattr(obj, "_skipped", 0)
        self.message_user(request, gettext("Imported %(n)s hashes into “%(name)s”.") % {
            "n": obj.entry_count, "name": obj.name} + (
            " " + gettext("%(n)s rows of other signal types were skipped.") % {"n": skipped} if skipped else ""),
            messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:cases_hashlist_change", args=[obj.pk]))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_export": has_role(request.user, *MINISTRY_WRITERS)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="cases_hashlist_export"),
            *super().get_urls(),
        ]

    def export_view(self, request):
        if not has_role(request.user, *MINISTRY_WRITERS):
            raise PermissionDenied
        if request.method != "POST":
            return TemplateResponse(request, "admin/cases/hashlist/export.html", {
                **self.admin_site.each_context(request), "opts": self.opts, "title": gettext("Export our hashes"),
            })
        collab = (request.POST.get("collab") or "").strip()[:100] or "Patuh"
        response = StreamingHttpResponse(hashlists.export_csv_lines(actor=request.user, collab=collab),
                                         content_type="text/csv; charset=utf-8")
        day = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="patuh-pdq-{day}.csv"'
        response["Cache-Control"] = "no-store, private"
        return response
