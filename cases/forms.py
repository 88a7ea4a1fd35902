"""Forms shared by both consoles. They collect input; the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import clock
from cases.choices import ActionTaken, ObjectionReason, Visibility
from cases.workflow import Transition, TransitionError, transition


class TransitionForm(forms.Form):
    """The small form behind a transition button: only the fields that action needs."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, spec: Transition, case, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec, self.case, self.actor = spec, case, actor
        self.fields["version"].initial = case.version
        if "action_taken" in spec.fields:
            self.fields["action_taken"] = forms.ChoiceField(label=_("Action taken"), choices=ActionTaken.choices)
            self.fields["action_taken_at"] = forms.DateTimeField(
                label=_("When it was taken"),
                # Now, to the minute (in the page's time zone): most reports are made as the action is taken.
                initial=lambda: timezone.localtime(clock.now()).replace(second=0, microsecond=0),
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                help_text=_("Jakarta time. Not in the future, not before the case was submitted."),
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
            from cases.services.rechecks import prefill_note

            self.fields["note"].initial = prefill_note(case, spec.action)

    def save(self):
        """Apply the transition; service refusals become form errors and nothing is changed."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("version", "note")}
        try:
            return transition(self.case, self.spec.action, actor=self.actor, note=self.cleaned_data.get("note", ""),
                              expected_version=self.cleaned_data["version"], **data)
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
