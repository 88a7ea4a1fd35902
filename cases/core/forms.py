"""Forms shared by both consoles. They collect input; the services decide."""

from zoneinfo import ZoneInfo

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from cases.cases.workflow import Transition, TransitionError, transition
from cases.core import clock, display
from cases.core.choices import ActionTaken, ObjectionReason, Visibility


class TransitionForm(forms.Form):
    """The small form behind a transition button: only the fields that action needs."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    ZONE_SESSION_KEY = "patuh_time_zone"

    def __init__(self, *args, spec: Transition, case, actor, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec, self.case, self.actor, self.request = spec, case, actor, request
        self.fields["version"].initial = case.version
        if "action_taken" in spec.fields:
            self.fields["action_taken"] = forms.ChoiceField(label=_("Action taken"), choices=ActionTaken.choices)
            # The time as the liaison's own clock shows it, in the zone they pick next to it (issue 13): the
            # platform's zone (WIB) unless they picked another before in this session.
            zone = self.remembered_zone(request)
            self.fields["action_taken_at"] = forms.DateTimeField(
                label=_("When it was taken"),
                # Now, to the minute, on a clock in the chosen zone: most reports are made as the action is taken.
                # Naive, or the field would show it in the page's zone again.
                initial=lambda: timezone.localtime(clock.now(), ZoneInfo(zone)).replace(
                    second=0, microsecond=0, tzinfo=None),
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                help_text=_("The date and time in the time zone chosen next to it. Not in the future, not before "
                            "the case was submitted. Shown to the ministry in Jakarta time (WIB)."),
            )
            self.fields["action_time_zone"] = forms.ChoiceField(
                label=_("Time zone"), choices=display.zone_choices(), initial=zone, required=False,
            )
        if "reason" in spec.fields:
            self.fields["reason"] = forms.ChoiceField(label=_("Reason"), choices=ObjectionReason.choices)
            self.fields["text"] = forms.CharField(label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 4}))
        self.fields["note"] = forms.CharField(
            label=_("Note"), required=spec.note_required, widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("Shown on the case timeline."),
        )
        if spec.action in ("verify", "reopen") and not self.is_bound:
            # Patuh's own re-checks of the location pre-fill the analyst's note; the analyst still decides.
            from cases.evidence.services.rechecks import prefill_note

            self.fields["note"].initial = prefill_note(case, spec.action)

    @classmethod
    def remembered_zone(cls, request) -> str:
        zone = request.session.get(cls.ZONE_SESSION_KEY) if request is not None else None
        return zone if zone and display.is_zone(zone) else display.DEFAULT_ZONE

    def clean(self):
        cleaned = super().clean()
        if "action_taken_at" not in self.fields:
            return cleaned
        zone = cleaned.get("action_time_zone") or display.DEFAULT_ZONE
        cleaned["action_time_zone"] = zone
        taken = cleaned.get("action_taken_at")
        if taken is not None:
            # The field read the wall-clock time in the page's zone; re-read the same wall clock in the chosen one.
            wall = timezone.make_naive(taken) if timezone.is_aware(taken) else taken
            instant = display.in_zone(wall, zone)
            if instant is None:
                shown = formats.date_format(wall, formats.get_format("DATETIME_FORMAT").replace(" T", ""))
                self.add_error("action_taken_at", _("%(time)s does not exist in %(zone)s: the clocks skipped it. "
                                                    "Check the time.") % {"time": shown, "zone": zone})
            else:
                cleaned["action_taken_at"] = instant
        return cleaned

    def save(self):
        """Apply the transition; service refusals become form errors and nothing is changed."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("version", "note", "action_time_zone")}
        try:
            done = transition(self.case, self.spec.action, actor=self.actor, note=self.cleaned_data.get("note", ""),
                              expected_version=self.cleaned_data["version"], **data)
            if "action_time_zone" in self.cleaned_data and hasattr(self.request, "session"):
                self.request.session[self.ZONE_SESSION_KEY] = self.cleaned_data["action_time_zone"]  # next time's
            return done
        except TransitionError as err:
            for field, message in err.field_errors.items():
                self.add_error(field if field in self.fields else None, message)
            if not err.field_errors:
                self.add_error(None, err.message)
            return None


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(label=_("Visible to"), choices=Visibility.choices, initial=Visibility.INTERNAL,
                                   required=False, help_text=_("A platform liaison's comments are always shared."))

    def clean_visibility(self):
        return self.cleaned_data.get("visibility") or Visibility.INTERNAL


class ReasonForm(forms.Form):
    """For bulk actions that need a note (withdraw, reopen)."""

    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))
