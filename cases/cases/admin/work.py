"""The ministry console's "My work" page: the queues of `cases.cases.queues`, with their ages and assignment."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.cases import queues
from cases.cases.services.cases import assign_case
from cases.core import clock
from cases.core.roles import MINISTRY_WRITERS, has_role
from cases.models import Case

ROWS_SHOWN = 50


class AssigneeField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return queues.person(obj)


class AssignForm(forms.Form):
    def __init__(self, *args, queue: queues.Queue, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = AssigneeField(queryset=queues.assignees(queue), required=False,
                                                empty_label=_("nobody"), label=_("Assign to"))


def work_view(site):
    def view(request):
        mine = request.GET.get("who") != "all"
        writer = has_role(request.user, *MINISTRY_WRITERS)
        now = clock.now()
        sections = []
        for queue in queues.queues_for(request.user):
            rows = queues.queue_rows(queue, request.user, mine=mine and writer)
            total = rows.count()
            shown = []
            for obj in rows[:ROWS_SHOWN]:
                since = getattr(obj, queue.since_field)
                form = None
                if writer and isinstance(obj, Case):
                    form = AssignForm(queue=queue, initial={"assignee": obj.assigned_to_id},
                                      auto_id=f"id_{queue.key}_{obj.pk}_%s")
                shown.append({"obj": obj, "since": since, "waited": queues.waited(since, now), "form": form})
            changelist = "cases_sanction_changelist" if queue.key == "sanctions" else "cases_case_changelist"
            sections.append({"queue": queue, "rows": shown, "total": total,
                             "list_url": f"{reverse(f'{site.name}:{changelist}')}?{queue.list_query}"})
        context = {**site.each_context(request), "title": _("My work"), "sections": sections, "mine": mine,
                   "writer": writer}
        return TemplateResponse(request, "patuh/my_work.html", context)

    return view


def assign_view(site):
    @require_POST
    def view(request, queue_key, case_id):
        queue = queues.BY_KEY.get(queue_key)
        case = Case.objects.visible_to(request.user).filter(pk=case_id).first()
        if queue is None or case is None:
            raise Http404
        if not has_role(request.user, *MINISTRY_WRITERS):
            raise PermissionDenied
        form = AssignForm(request.POST, queue=queue)
        if form.is_valid():
            try:
                assign_case(case, actor=request.user, assignee=form.cleaned_data["assignee"])
                who = queues.person(form.cleaned_data["assignee"]) or _("nobody")
                messages.success(request, _("%(ref)s assigned to %(who)s.") % {"ref": case.reference, "who": who})
            except (ValidationError, PermissionDenied) as err:
                messages.error(request, "; ".join(getattr(err, "messages", [str(err)])))
        else:
            messages.error(request, _("Choose someone who can act on it."))
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse(f"{site.name}:my-work")
        return HttpResponseRedirect(back)

    return view


def work_urls(site):
    from django.urls import path

    return [path("my-work/", site.admin_view(work_view(site)), name="my-work"),
            path("my-work/<str:queue_key>/<int:case_id>/assign/", site.admin_view(assign_view(site)),
                 name="my-work-assign")]
