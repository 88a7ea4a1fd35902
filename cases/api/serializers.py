"""Input and output shapes. Inputs are small and say what a service takes; outputs say what a reader sees.

Nothing here writes: the views pass validated input to a service (`cases.<domain>.services`, `cases.cases.workflow`).
Fields only the ministry sees (assignment, source detail) are dropped for liaisons.
"""

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from cases.api.parsers import MAX_DEPTH
from cases.cases.services.cases import MAX_BULK_ITEMS
from cases.cases.workflow import TRANSITIONS, refusal
from cases.core import text
from cases.core.choices import (
    ActionTaken,
    Category,
    CommitmentStatus,
    EvidenceKind,
    ObjectionReason,
    RequestedAction,
    SanctionLevel,
    Source,
    Tier,
    Virality,
    Visibility,
)
from cases.core.roles import is_ministry, roles_of
from cases.evidence import matches
from cases.models import (
    Case,
    CaseEvent,
    Commitment,
    CommitmentUpdate,
    Evidence,
    Letter,
    LetterLanguage,
    MatchDecision,
    Meeting,
    Platform,
    Sanction,
    SubmissionCycle,
)
from cases.reporting.reports import DeadlineState, deadline_picture


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class MinistryOnlyFields:
    """Drops `ministry_only_fields` from the output for anyone who is not ministry staff (in the row plan of
    `OutputSerializer`: a liaison's rows never compute them)."""

    ministry_only_fields: tuple[str, ...] = ()


_MISSING = object()
_OFFSET_WITH_SECONDS = re.compile(r"[+-]\d\d:\d\d:\d\d(?:\.\d+)?$")


class RFC3339DateTimeField(serializers.DateTimeField):
    """A time as RFC 3339, always. Jakarta's offset before 1924 was local mean time (+07:07:12), which RFC 3339
    cannot write: such a time is written in UTC instead (`...Z`). Every time the API answers goes through here
    (OutputSerializer maps model DateTimeFields to it)."""

    def to_representation(self, value):
        text = super().to_representation(value)
        if isinstance(text, str) and _OFFSET_WITH_SECONDS.search(text):
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return text

    def row_writer(self):
        """`to_representation` with the request's time zone looked up once (a list page writes thousands of
        times; DRF asks Django for the current zone each time). None when this field is not the plain ISO 8601
        output, so the caller keeps `to_representation`."""
        if getattr(self, "format", api_settings.DATETIME_FORMAT) != ISO_8601 or not settings.USE_TZ:
            return None
        zone = self.timezone if hasattr(self, "timezone") else self.default_timezone()
        slow = self.to_representation

        def write(value):
            if value.__class__ is not datetime or value.tzinfo is None:
                return slow(value)
            text = value.astimezone(zone).isoformat()
            if text.endswith("+00:00"):
                return text[:-6] + "Z"
            if text[-6] not in "+-" and _OFFSET_WITH_SECONDS.search(text):  # not a plain ±HH:MM
                return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
            return text

        return write


class _Row(NamedTuple):
    name: str
    field: serializers.Field
    how: int  # _METHOD: write(instance); _ATTRIBUTE: write(getattr(instance, attr)); _FIELD: DRF's own reading
    attr: str
    write: Callable[[Any], Any]


_METHOD, _ATTRIBUTE, _FIELD = range(3)
# Fields that read their attribute as DRF's plain `Field.get_attribute` does (a field with its own reading keeps it).
_PLAIN_READING = (serializers.Field.get_attribute, serializers.RelatedField.get_attribute)


class RelatedSlugField(serializers.SlugRelatedField):
    """A related object's slug (read-only), read from the annotation `<relation>_<slug field>` when the queryset
    made one (the case list: no user or platform object built per row), else from the related object."""

    def get_attribute(self, instance):
        annotated = instance.__dict__.get(f"{self.source_attrs[0]}_{self.slug_field}", _MISSING)
        if annotated is not _MISSING:
            return annotated
        return super().get_attribute(instance)

    def to_representation(self, obj):
        return obj if isinstance(obj, str) else super().to_representation(obj)


_FIELDS_MADE: dict[tuple[type, str | None], dict[str, serializers.Field]] = {}
_BINDS_CHILDREN = (serializers.BaseSerializer, serializers.ManyRelatedField)


class OutputSerializer(serializers.ModelSerializer):
    """A read-only view of a model. DRF drops `allow_blank` from read-only fields, so the schema would promise
    that a blank text, choice or URL never comes back (a case without a URL, a commitment not measured);
    keep it, so the schema says what the model may hold."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.DateTimeField: RFC3339DateTimeField}

    def get_fields(self):
        """DRF builds every field anew for each serializer, from the model (about 1 ms for a case, on every
        request). They are built once per class and language here, and each serializer gets copies to bind;
        nested serializers and many-related fields, which bind children of their own, are deep-copied as DRF
        does."""
        key = (type(self), get_language())
        made = _FIELDS_MADE.get(key)
        if made is None:
            made = _FIELDS_MADE[key] = super().get_fields()
        return {name: copy.deepcopy(field) if isinstance(field, _BINDS_CHILDREN) else copy.copy(field)
                for name, field in made.items()}

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank:
            kwargs["allow_blank"] = True
        return kwargs

    # --- writing rows -------------------------------------------------------------------------------------
    # DRF's `to_representation` walks every field of every row through the generic machinery (readable fields,
    # `get_attribute` with its callable checks, the current time zone per time field): about 250 µs a case row,
    # most of a list page. A list shares one child serializer for all its rows, so what is the same for every
    # row is worked out once, in `_row_plan`: which fields this reader sees (`MinistryOnlyFields`), how each is
    # read and written. The output is the same as DRF's (tests/test_api_cases.py compares them).

    def _row_plan(self) -> list[_Row]:
        plan = self.__dict__.get("_plan")
        if plan is None:
            hidden = set(getattr(self, "ministry_only_fields", ()))
            if hidden and is_ministry(_user(self)):
                hidden = set()
            plan = []
            for field in self._readable_fields:
                if field.field_name in hidden:
                    continue
                if isinstance(field, serializers.SerializerMethodField):
                    plan.append(_Row(field.field_name, field, _METHOD, "", getattr(self, field.method_name)))
                    continue
                # One attribute of the instance, written by the field; anything else (nested serializers, dotted
                # sources, related fields that read only the key) is read by DRF's own `get_attribute`.
                simple = (len(field.source_attrs) == 1 and not isinstance(field, serializers.BaseSerializer)
                          and type(field).get_attribute in _PLAIN_READING
                          and not isinstance(field, serializers.ManyRelatedField)
                          and not (isinstance(field, serializers.RelatedField) and field.use_pk_only_optimization()))
                write = field.row_writer() if isinstance(field, RFC3339DateTimeField) else None
                plan.append(_Row(field.field_name, field, _ATTRIBUTE if simple else _FIELD,
                                 field.source_attrs[0] if simple else "", write or field.to_representation))
            self._plan = plan
        return plan

    def to_representation(self, instance):
        data = {}
        mapping = isinstance(instance, Mapping)
        for name, field, how, attr, write in self._row_plan():
            if how == _METHOD:
                data[name] = write(instance)
                continue
            value = _MISSING
            if how == _ATTRIBUTE and not mapping:
                try:
                    value = getattr(instance, attr)
                except (AttributeError, KeyError):  # DRF's answer (None, a default, or no key) comes below
                    value = _MISSING
                else:
                    if callable(value):
                        value = _MISSING
            if value is _MISSING:
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                if isinstance(value, PKOnlyObject):
                    data[name] = None if value.pk is None else write(value)
                    continue
            data[name] = None if value is None else write(value)
        return data


# --- errors (documentation of the one error shape) --------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable, machine-readable: invalid, not_found, state, stale, ..."))
    message = serializers.CharField(help_text=_("A sentence for a person."))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text=_("Input field → its problems, when individual inputs were wrong."),
    )
    existing_reference = serializers.CharField(required=False, help_text=_("The open case a duplicate points to."))


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# --- platforms ----------------------------------------------------------------------------------------


class PointOfContactSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("The legal name letters are addressed to."))
    address = serializers.CharField()
    email = serializers.CharField()
    attention = serializers.ListField(child=serializers.CharField(), help_text=_("The named liaisons."))


class PlatformSerializer(OutputSerializer):
    standing = serializers.SerializerMethodField(help_text=_("From issued sanctions: active, warned, sanctioned, "
                                                             "blocked."))
    point_of_contact = serializers.SerializerMethodField(
        help_text=_("Where the ministry sends orders and letters (the letters' addressee)."))

    class Meta:
        model = Platform
        fields = ["slug", "name", "kind", "business_scale", "website", "hosts", "standing", "point_of_contact"]

    def get_standing(self, obj) -> str:
        return self.context.get("standings", {}).get(obj.pk, "active")

    @extend_schema_field(PointOfContactSerializer)
    def get_point_of_contact(self, obj) -> dict:
        who = obj.addressee()
        return {"name": who["name"], "address": who["address"], "email": who["email"], "attention": who["attention"]}


# --- inputs: the one way a request body is judged ------------------------------------------------------
#
# A write view does `form = X(data=request.data, ...)`, `form.is_valid(raise_exception=True)`, and passes
# `form.validated_data` to a service, which decides (permissions, lifecycle refusals, what a value must be). The same
# class X is the operation's `request=` in the schema (tests/test_api_thin_views.py holds both rules). Whatever the
# serializer refuses answers the API's one error shape (cases.api.exceptions) with status 400.


# A request body. Refused: code `invalid` with `fields`, unless the serializer named the whole error (`refuse`,
# e.g. `too_many_items`); a body that is not a JSON object answers "Send a JSON object." alone. (Comments, not
# docstrings, on input classes: a docstring becomes the schema's description of the body.)
class InputSerializer(serializers.Serializer):

    default_error_messages = {"invalid": _("Send a JSON object.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._refusal = None

    def run_validation(self, data=empty):
        if data is None:  # JSON null: not an object either (DRF would say "No data provided")
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [self.error_messages["invalid"]]},
                                              code="invalid")
        return super().run_validation(data)

    def refuse(self, message, *, fields: dict, code: str = "invalid"):
        """Refuse the whole body with its own message and code, and these field errors."""
        self._refusal = (str(message), code)
        raise serializers.ValidationError(fields)

    def is_valid(self, *, raise_exception=False):
        valid = super().is_valid()
        if not valid and raise_exception:
            raise self.error()
        return valid

    def error(self):
        from cases.api.exceptions import invalid  # the one error shape

        fields = {name: [str(m) for m in (problems if isinstance(problems, list) else [problems])]
                  for name, problems in self.errors.items()}
        if self._refusal is not None:
            message, code = self._refusal
            return invalid(message, fields=fields, code=code)
        if fields == {api_settings.NON_FIELD_ERRORS_KEY: [str(self.error_messages["invalid"])]}:
            return invalid(fields[api_settings.NON_FIELD_ERRORS_KEY][0])  # not an object: no field to name
        return invalid(_("Some fields are invalid."), fields=fields)


class ServiceJudged:
    """A value whose type the serializer judges and whose content the service judges, after its own decisions
    (who may, in which state). The schema says what the service takes (its choices and lengths); here, a required
    field must be there, and its value of the right type (`shape`); null is passed on as null."""

    def validate_empty_values(self, data):
        if data is empty:
            if self.required:
                self.fail("required")
            if self.default is empty:
                raise SkipField()
            return True, self.get_default()
        if data is None:
            return True, None
        return False, data

    def run_validation(self, data=empty):
        is_empty, data = self.validate_empty_values(data)
        return data if is_empty else self.shape(data)

    def shape(self, data):
        return data  # any JSON value: the service judges it


class JudgedText(ServiceJudged):
    """Text, as sent (not trimmed); null is empty text (with `falsy_is_empty`, so are false, 0, [] and {})."""

    default_error_messages = {"not_text": _("Must be a string.")}

    def __init__(self, *args, falsy_is_empty: bool = False, **kwargs):
        self.falsy_is_empty = falsy_is_empty
        super().__init__(*args, **kwargs)

    def validate_empty_values(self, data):
        if data is None or (self.falsy_is_empty and data is not empty and not data):
            return True, ""
        return super().validate_empty_values(data)

    def shape(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return data


class TextField(JudgedText, serializers.CharField):
    pass


class TextChoiceField(JudgedText, serializers.ChoiceField):
    pass


class WorkflowChoiceField(ServiceJudged, serializers.ChoiceField):
    """A transition's data, as sent: the workflow judges it, after deciding whether the action may be applied."""


class WorkflowTextField(ServiceJudged, serializers.CharField):
    """A transition's data, as sent: the workflow judges it, after deciding whether the action may be applied."""


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only (not "yes", 1 or null)."""

    default_error_messages = {"invalid": _("Must be a boolean.")}

    def validate_empty_values(self, data):
        if data is None:
            self.fail("invalid")
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


SLUG_REGEX = r"[-a-zA-Z0-9_]+"  # a platform's slug (a SlugField)
SLUG = re.compile(SLUG_REGEX)


def visible_platforms(user, slugs) -> dict[str, Platform]:
    """The visible platforms among `slugs`; what cannot be a slug (a NUL, a list) is simply not found."""
    wanted = {s for s in slugs if isinstance(s, str) and SLUG.fullmatch(s)}
    return {p.slug: p for p in Platform.objects.visible_to(user).filter(slug__in=wanted)} if wanted else {}


class PlatformSlugField(serializers.SlugField):
    """A platform's slug → the Platform, if the requesting user may see it (unknown and hidden alike are unknown).
    Looked up in `context["platforms"]` when the caller resolved a batch's at once, else in the database."""

    default_error_messages = {"unknown": _("Unknown platform “%(slug)s”.")}

    def run_validation(self, data=empty):
        if data is empty:
            return super().run_validation(data)  # "This field is required."
        platforms = self.context.get("platforms")
        if platforms is None:
            platforms = visible_platforms(self.context["user"], [data])
        platform = platforms.get(data) if isinstance(data, str) else None
        if platform is None:
            raise serializers.ValidationError(self.error_messages["unknown"] % {"slug": str(data)[:50]},
                                              code="unknown")
        return platform


# Judged here: an object of known fields, each a string, naming a platform the user may see (by its slug; the
# assignment is the ministry console's business, not a field here). What the values must be (choices, lengths, a
# location) is the service's (`clean_new_case`), for single and bulk creation alike. Context: `user`, and
# `platforms` when a batch's were resolved at once.
class KnownFieldsSerializer(InputSerializer):
    """An object of the declared fields only: any other name is an "Unknown field.", reported beside the fields'
    own errors. The shape of a bulk item (orders, responses)."""

    default_error_messages = {"invalid": _("Each item must be a JSON object."), "unknown_field": _("Unknown field.")}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            return super().to_internal_value(data)  # "… must be a JSON object."
        errors = {name: [self.error_messages["unknown_field"]] for name in data if name not in self.fields}
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as err:
            raise serializers.ValidationError({**err.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return values


class CaseInputSerializer(KnownFieldsSerializer):
    """One order. The same fields make a bulk item (without `submit` and `note`, which the batch gives)."""

    platform = PlatformSlugField(help_text=_("The platform's slug, e.g. telegram."))
    category = TextChoiceField(choices=Category.choices)
    tier = TextChoiceField(choices=Tier.choices, required=False, allow_blank=True,
                           help_text=_("Empty: the category's default tier (urgent: 4 h, standard: 24 h)."))
    location_url = TextField(required=False, allow_blank=True, max_length=2048)
    handle = TextField(required=False, allow_blank=True, max_length=200)
    native_id = TextField(required=False, allow_blank=True, max_length=200)
    legal_basis = TextField(max_length=300)
    reasons = TextField()
    requested_action = TextChoiceField(choices=RequestedAction.choices, required=False)
    source = TextChoiceField(choices=Source.choices, required=False)
    source_detail = TextField(required=False, allow_blank=True, max_length=200)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            _deep, unstorable = text.walk(data, max_depth=MAX_DEPTH)  # bulk items: the parser left them to us
            if unstorable:
                raise serializers.ValidationError({path: [why] for path, why in unstorable.items()})
        return super().to_internal_value(data)


class CaseCreateSerializer(CaseInputSerializer):
    default_error_messages = {"invalid": _("Send a JSON object.")}

    submit = StrictBooleanField(required=False, default=False,
                                help_text=_("Submit to the platform at once (starts the deadline)."))
    note = TextField(required=False, allow_blank=True, default="", falsy_is_empty=True,
                     help_text=_("Note on the submission."))


class BulkItemsField(serializers.ListField):
    """The list of a batch's items, taken as sent: each is judged on its own (`BulkRequestSerializer`)."""

    def run_child_validation(self, data):
        return list(data)


@dataclass
class InvalidItem:
    """A bulk item refused for its shape: its field errors, reported in its result."""

    fields: dict[str, list[str]]


# A batch's envelope: `items`, a list of at most `max_items`, each judged on its own. A body without such a list,
# or with more items, is refused whole (the latter with `too_many_items`).
class BatchSerializer(InputSerializer):

    max_items: int
    needs_a_list: str  # a sentence with %(n)d, the most items
    too_many: str  # a sentence with %(max)d and %(n)d, the items sent

    def run_validation(self, data=empty):
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            self.refuse(self.needs_a_list % {"n": self.max_items}, fields={"items": [_("A list is required.")]})
        if len(data["items"]) > self.max_items:
            self.refuse(self.too_many % {"max": self.max_items, "n": len(data["items"])}, code="too_many_items",
                        fields={"items": [_("At most %(max)d items.") % {"max": self.max_items}]})
        return super().run_validation(data)


# Bulk intake. Each item is judged on its own (`CaseInputSerializer`): `items` holds, in order, an item's values
# for the service, or an `InvalidItem` with its field errors (its result). Context: `user`.
class BulkRequestSerializer(BatchSerializer):
    max_items = MAX_BULK_ITEMS
    needs_a_list = _("Send {\"items\": [...]} with up to %(n)d orders.")
    too_many = _("A batch holds at most %(max)d items; this one has %(n)d. Nothing was created; split it.")

    # So the schema takes any item, and says what a valid one is in words (CaseInput is the shape of one).
    items = BulkItemsField(
        child=serializers.JSONField(), max_length=MAX_BULK_ITEMS,
        help_text=_("Up to %(n)d orders, each an object with the fields of CaseCreate but `submit` and `note`. "
                    "Each is judged on its own: an invalid item gets the result `invalid` with its `fields`, and "
                    "the rest of the batch goes ahead.") % {"n": MAX_BULK_ITEMS})
    submit = StrictBooleanField(required=False, default=False,
                                help_text=_("Submit every created case to its platform at once."))
    note = TextField(required=False, allow_blank=True, default="", falsy_is_empty=True)

    def validate_items(self, items):
        user = self.context["user"]
        platforms = visible_platforms(user, [i.get("platform") for i in items if isinstance(i, dict)])
        # One serializer for the batch, as DRF's ListSerializer does: binding its fields per item (a deep copy
        # of each) cost more than the rest of the intake.
        one = CaseInputSerializer(context={"user": user, "platforms": platforms})
        return [judge_item(one, raw) for raw in items]


def judge_item(serializer, raw):
    """One item of a batch through `serializer` (bound once for the batch): its values, or an `InvalidItem`."""
    try:
        return serializer.run_validation(raw)
    except serializers.ValidationError as err:
        return InvalidItem({name: [str(m) for m in problems] for name, problems in err.detail.items()})


# Judged here: an object naming an action, a text note, none of the workflow's own arguments. Whether the action
# exists, who may apply it now, and which data it takes (any other field goes on, and is refused there) are the
# workflow's (`cases.cases.workflow.transition`), in that order.
class TransitionSerializer(InputSerializer):
    """`action` and `note`, plus the action's own data (see each action in the description)."""

    RESERVED = ("actor", "expected_version", "case")

    action = WorkflowChoiceField(choices=list(TRANSITIONS))
    note = TextField(required=False, allow_blank=True, default="", falsy_is_empty=True)
    action_taken = WorkflowChoiceField(choices=ActionTaken.choices, required=False,
                                       help_text=_("report_action: what the platform did."))
    action_taken_at = WorkflowTextField(required=False, help_text=_("report_action: when (ISO 8601)."))
    reason = WorkflowChoiceField(choices=ObjectionReason.choices, required=False, help_text=_("object: the reason."))
    text = WorkflowTextField(required=False, help_text=_("object: the explanation."))

    def run_validation(self, data=empty):
        if isinstance(data, dict):
            action = data.get("action")
            if not isinstance(action, str) or not action:
                self.refuse(_("Say which action to apply."), fields={"action": [_("This field is required.")]})
            if not isinstance(data.get("note") or "", str):
                self.refuse(_("note must be a string."), fields={"note": [_("Must be a string.")]})
            reserved = sorted(set(data) & set(self.RESERVED))
            if reserved:
                self.refuse(_("Unexpected fields."), fields={name: [_("Not accepted.")] for name in reserved})
        return super().run_validation(data)

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        # Fields no action takes go on to the workflow, which names them ("Not accepted for this action").
        values.update({name: value for name, value in data.items() if name not in self.fields})
        return values


# --- cases --------------------------------------------------------------------------------------------


class CaseSerializer(MinistryOnlyFields, OutputSerializer):
    ministry_only_fields = ("source", "source_detail", "assigned_to", "created_by", "created_at")

    url = serializers.SerializerMethodField()
    platform = RelatedSlugField(slug_field="slug", read_only=True)
    assigned_to = RelatedSlugField(slug_field="username", read_only=True, allow_null=True,
                                   help_text=_("A username; null if nobody."))
    created_by = RelatedSlugField(slug_field="username", read_only=True, allow_null=True,
                                  help_text=_("A username; null if nobody."))
    submitted_by = RelatedSlugField(slug_field="username", read_only=True, allow_null=True,
                                    help_text=_("A username; null if nobody."))
    deadline_state = serializers.SerializerMethodField(
        help_text=_("on_time, due_soon, overdue, late, or empty (not awaiting action and not late)."))
    available_actions = serializers.SerializerMethodField(
        help_text=_("The transitions you may apply now (POST .../transitions/)."))

    class Meta:
        model = Case
        fields = [
            "reference", "url", "platform", "category", "tier", "status", "deadline_state", "location_url", "handle",
            "native_id", "legal_basis", "reasons", "requested_action", "source", "source_detail",
            "issuing_authority", "redress", "assigned_to", "created_by", "submitted_by", "created_at", "updated_at",
            "submitted_at", "submission_count", "deadline_hours", "due_at", "overdue_at", "acknowledged_at",
            "actioned_at", "action_taken", "action_taken_at", "is_late", "objected_at", "objection_reason",
            "objection_text", "verified_at", "withdrawn_at", "closed_at", "version", "available_actions",
        ]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        # The path is the same but for the reference: reversed once per page, filled in per row (a reference is
        # letters, digits and dashes; anything else, if it ever came, is reversed as before).
        around = self.__dict__.get("_url_around")
        if around is None:
            around = self._url_around = tuple(
                reverse("api:case-detail", kwargs={"reference": _URL_PLACEHOLDER}).split(_URL_PLACEHOLDER))
        if len(around) == 2 and _PLAIN_REFERENCE.fullmatch(obj.reference):
            return around[0] + obj.reference + around[1]
        return reverse("api:case-detail", kwargs={"reference": obj.reference})

    @extend_schema_field(serializers.ChoiceField(choices=[("", "")] + list(DeadlineState.CHOICES)))
    def get_deadline_state(self, obj) -> str:
        return deadline_picture(obj, self.context.get("now")).state

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(TRANSITIONS))))
    def get_available_actions(self, obj):
        user = _user(self)
        if not user:
            return []
        # `refusal` refuses first a transition not from this status, then one for none of the user's roles;
        # the transitions left after those two tests depend only on the status, so they are found once per
        # status for the page. The verdict on the rest is still the workflow's own.
        by_status = self.__dict__.setdefault("_actions_by_status", {})
        candidates = by_status.get(obj.status)
        if candidates is None:
            held = roles_of(user)
            candidates = by_status[obj.status] = [spec for spec in TRANSITIONS.values()
                                                  if obj.status in spec.sources and held & spec.roles]
        return [spec.action for spec in candidates if refusal(obj, spec, user) is None]


_URL_PLACEHOLDER = "X0REFERENCE0X"
_PLAIN_REFERENCE = re.compile(r"[A-Za-z0-9-]+")


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("Position of the item in `items`, from 0."))
    result = serializers.ChoiceField(choices=["created", "duplicate", "invalid"])
    reference = serializers.CharField(required=False, help_text=_("The created case, or the open case this item "
                                                                  "duplicates."))
    duplicate_of_index = serializers.IntegerField(required=False, help_text=_("The earlier item of this batch it "
                                                                              "duplicates."))
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text=_("For invalid items: field → problems."))


class BulkCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    invalid = serializers.IntegerField()


class BulkResponseSerializer(serializers.Serializer):
    submitted = serializers.BooleanField()
    counts = BulkCountsSerializer()
    results = BulkItemResultSerializer(many=True)


class CaseEventSerializer(MinistryOnlyFields, OutputSerializer):
    ministry_only_fields = ("visibility",)

    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "actor_name", "from_status", "to_status", "note", "visibility", "created_at", "data"]
        read_only_fields = fields


class ObjectionSerializer(serializers.Serializer):
    lodged_at = RFC3339DateTimeField()
    reason = serializers.CharField()
    minutes_left = serializers.IntegerField(help_text=_("Whole minutes left before the deadline when lodged "
                                                        "(negative: lodged late)."))
    in_time = serializers.BooleanField()
    decided_at = RFC3339DateTimeField(required=False, allow_null=True)
    outcome = serializers.ChoiceField(choices=["rejected", "upheld", "withdrawn"], required=False)
    resumed = serializers.ChoiceField(choices=["remaining", "fresh", "missed"], required=False, help_text=_(
        "What a rejection did to the clock: resumed with the time that was left, a fresh window, or nothing "
        "(lodged late)."))
    due_at = RFC3339DateTimeField(required=False, help_text=_("The deadline after the rejection."))


class SubmissionCycleSerializer(OutputSerializer):
    """One submission of the case (the first, or a reopening) and its facts, kept for good."""

    verdict = serializers.SerializerMethodField(help_text=_(
        "met, missed, objection_pending (objected in time, awaiting the decision), or null (not decided yet, or "
        "ended in time without an action). docs/reports.md."))
    objections = ObjectionSerializer(many=True)

    class Meta:
        model = SubmissionCycle
        fields = ["number", "opened_at", "deadline_hours", "deadline_source", "objection_rule", "first_due_at",
                  "due_at", "acknowledged_at", "actioned_at", "action_taken", "action_taken_at", "is_late",
                  "overdue_at", "objected_at", "objection_pending", "objections", "outcome", "closed_at", "verdict"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["met", "missed", "objection_pending"], allow_null=True))
    def get_verdict(self, obj):
        from cases.core.recorders.rollups import PENDING, snapshot, verdict

        judged = verdict(snapshot(obj.case, obj))
        return "objection_pending" if judged == PENDING else judged


# --- evidence -----------------------------------------------------------------------------------------


class MatchSourceSerializer(serializers.Serializer):
    list = serializers.CharField(help_text=_("The imported hash list's name."))
    source = serializers.CharField(help_text=_("Who shared the list."))
    labels = serializers.CharField(allow_blank=True)


class EvidenceMatchSerializer(serializers.Serializer):
    """One possible re-upload (cases.evidence.matches.as_data)."""

    id = serializers.IntegerField()
    relation = serializers.ChoiceField(
        choices=["earlier_evidence", "later_evidence", "hash_list"],
        help_text=_("earlier_evidence: this item looks like an earlier case's evidence (a possible re-upload of it); "
                    "later_evidence: a later case's evidence looks like this one; hash_list: an entry of an imported "
                    "hash list (ministry only)."))
    evidence = serializers.IntegerField(allow_null=True, help_text=_("The other evidence item's id."))
    case = serializers.CharField(allow_null=True, help_text=_("The other evidence item's case reference."))
    distance = serializers.IntegerField(help_text=_("Hamming distance between the two PDQ hashes (0-256)."))
    decision = serializers.ChoiceField(choices=MatchDecision.choices)
    source = MatchSourceSerializer(allow_null=True, help_text=_("For a hash-list entry: the list, its source, labels."))


class EvidenceSerializer(MinistryOnlyFields, OutputSerializer):
    ministry_only_fields = ("withdrawn_at", "withdrawal_reason")

    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    uploaded_by = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(
        help_text=_("GET it with the same credentials; every download is written to the chain of custody."))
    matches = serializers.SerializerMethodField(
        help_text=_("Possible re-uploads found by perceptual hash (PDQ). Ministry staff see every match; a platform "
                    "sees only matches the ministry confirmed between two items it may see."))

    class Meta:
        model = Evidence
        fields = ["id", "case", "kind", "visibility", "original_name", "content_type", "size", "sha256",
                  "captured_at", "source_url", "description", "uploaded_by", "uploaded_at", "withdrawn_at",
                  "withdrawal_reason", "download_url", "matches"]
        read_only_fields = fields

    @extend_schema_field(EvidenceMatchSerializer(many=True))
    def get_matches(self, obj) -> list[dict]:
        user = _user(self)
        return [matches.as_data(view, user) for view in matches.matches_of(obj, user)]

    def get_uploaded_by(self, obj) -> str:
        user = obj.uploaded_by
        return user.get_full_name() or user.get_username()

    def get_download_url(self, obj) -> str:
        return reverse("api:evidence-download", kwargs={"pk": obj.pk})


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("PNG, JPEG, GIF, WebP, PDF, MP4, WebM, HTML, MHTML, WARC or text."))
    kind = serializers.ChoiceField(choices=EvidenceKind.choices, required=False, default=EvidenceKind.SCREENSHOT,
                                   help_text=_("Ignored for liaisons: theirs is always a platform response."))
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False, default=Visibility.INTERNAL,
                                         help_text=_("Ignored for liaisons: theirs is always shared."))
    captured_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    source_url = serializers.URLField(required=False, allow_blank=True, max_length=2048, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")


# --- meetings, commitments, sanctions -----------------------------------------------------------------


class MeetingSerializer(OutputSerializer):
    platforms = serializers.SerializerMethodField(help_text=_("The platforms at the meeting that you may see."))

    class Meta:
        model = Meeting
        fields = ["id", "title", "title_en", "held_on", "ends_on", "place", "platforms", "ministry_attendees",
                  "platform_attendees", "minutes", "minutes_en"]
        read_only_fields = fields

    def get_platforms(self, obj) -> list[str]:
        visible = self.context.get("visible_platform_ids")
        return sorted(p.slug for p in obj.platforms.all() if visible is None or p.pk in visible)


class CommitmentSerializer(OutputSerializer):
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Commitment
        fields = ["id", "platform", "meeting", "kind", "text", "text_en", "owner", "owner_name", "due_on", "status",
                  "measured_category", "target_hours", "source", "created_at", "updated_at"]
        read_only_fields = fields


class CommitmentUpdateSerializer(OutputSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = CommitmentUpdate
        fields = ["id", "commitment", "author", "created_at", "note", "status", "progress_percent", "evidence_url"]
        read_only_fields = fields

    def get_author(self, obj) -> str:
        return obj.author.get_full_name() or obj.author.get_username()


class CommitmentUpdateInputSerializer(serializers.Serializer):
    note = serializers.CharField()
    status = serializers.ChoiceField(choices=CommitmentStatus.choices, required=False, allow_blank=True, default="",
                                     help_text=_("Liaisons may set open or in_progress; the ministry any."))
    progress_percent = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0,
                                                max_value=100)
    evidence_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=2048)


class SanctionSerializer(MinistryOnlyFields, OutputSerializer):
    ministry_only_fields = ("fine_inputs", "cited_cases")

    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    cited_cases = serializers.SlugRelatedField(source="cases", slug_field="reference", many=True, read_only=True)

    class Meta:
        model = Sanction
        fields = ["id", "platform", "level", "level_label", "status", "reason", "content_category",
                  "letter_reference", "proposed_at", "issued_at", "complied_at", "lifted_at", "status_note", "amount",
                  "fine_inputs", "cited_cases"]
        read_only_fields = fields


@extend_schema_field({"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 500})
class ReferenceListField(serializers.Field):
    """A list of case references, with one flat error for the whole list (the error shape has no nesting)."""

    default_error_messages = {"invalid": _("Give a list of case references (at most 500, each a string).")}

    def to_internal_value(self, data):
        if not isinstance(data, list) or len(data) > 500 or not all(
                isinstance(item, str) and 0 < len(item) <= 40 for item in data):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return list(value)


class SanctionProposeSerializer(serializers.Serializer):
    platform = PlatformSlugField()  # context: `user`
    level = serializers.ChoiceField(choices=SanctionLevel.choices)
    reason = serializers.CharField()
    cases = ReferenceListField(
        required=False, default=list,
        help_text=_("References of the platform's overdue or late cases the proposal cites (its content basis)."))
    content_category = serializers.ChoiceField(
        choices=Category.choices, required=False, allow_blank=True, default="",
        help_text=_("The content basis when no cases are cited; `reason` says why."))
    skip_reason = serializers.CharField(
        required=False, allow_blank=True, default="",
        help_text=_("Required when `level` is above the ladder's next rung for the platform."))


class SanctionIssueSerializer(serializers.Serializer):
    letter_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="",
        help_text=_("Empty: Patuh numbers and produces the letter (see /letters/). Only for a letter issued "
                    "outside Patuh."))
    virality = serializers.ChoiceField(choices=Virality.choices, required=False, default=Virality.LOW)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SanctionNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SanctionLiftSerializer(serializers.Serializer):
    reason = serializers.CharField()


class FineLineSerializer(serializers.Serializer):
    factor = serializers.CharField()
    key = serializers.CharField()
    words = serializers.CharField()
    value = serializers.CharField()
    defaulted = serializers.BooleanField(help_text=_("The policy has no index for it: counted as 1."))


class FinePreviewSerializer(serializers.Serializer):
    amount = serializers.CharField(
        help_text=_("Formatted in the request's language: Rp 240.000.000 / IDR 240,000,000."))
    amount_value = serializers.CharField()
    currency = serializers.CharField()
    points_cap = serializers.IntegerField()
    tariff = serializers.CharField()
    product = serializers.CharField()
    basis = serializers.CharField(help_text=_("cases or category: what the content index was taken from."))
    policy_name = serializers.CharField()
    lines = FineLineSerializer(many=True)


class SanctionCiteSerializer(serializers.Serializer):
    case = serializers.CharField(max_length=40, help_text=_("The reference of an overdue or late case."))
    note = serializers.CharField(required=False, allow_blank=True, default="")


class LetterSerializer(OutputSerializer):
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    download_url = serializers.SerializerMethodField(help_text=_("The PDF (re-verified and recorded on download)."))

    class Meta:
        model = Letter
        fields = ["id", "number", "kind", "language", "platform", "case", "sanction", "subject", "dated", "sha256",
                  "size", "produced_at", "received_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return reverse("api:letter-pdf", kwargs={"pk": obj.pk})


class LetterTranslateSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=LetterLanguage.choices)


# --- reports ------------------------------------------------------------------------------------------


class _Figures(serializers.Serializer):
    """Every figure as docs/reports.md defines it."""

    received = serializers.IntegerField(help_text=_("Cases first submitted in the period."))
    orders = serializers.IntegerField(help_text=_("Submission cycles opened in the period (first submissions and "
                                                  "reopenings): what the figures below count."))
    acknowledged = serializers.IntegerField(help_text=_("Orders of the period acknowledged."))
    actioned = serializers.IntegerField(help_text=_("Orders of the period with an action reported."))
    on_time = serializers.IntegerField(help_text=_("Orders that met their deadline."))
    missed = serializers.IntegerField(help_text=_("Orders that missed their deadline; a miss stays a miss."))
    objection_pending = serializers.IntegerField(
        help_text=_("Orders objected within their deadline and awaiting the decision: neither met nor missed."))
    objected = serializers.IntegerField(help_text=_("Objections lodged in the period."))
    withdrawn = serializers.IntegerField(help_text=_("Orders of the period withdrawn (on objection or not)."))
    open = serializers.IntegerField(help_text=_("Orders of the period still running (not verified, reopened or "
                                                "withdrawn)."))
    overdue_now = serializers.IntegerField(help_text=_("Orders of the period past their deadline with no action, "
                                                       "as of now."))
    on_time_share = serializers.FloatField(allow_null=True,
                                           help_text=_("on_time / (on_time + missed); null if neither."))
    ack_median_hours = serializers.FloatField(allow_null=True)
    ack_p90_hours = serializers.FloatField(allow_null=True)
    action_median_hours = serializers.FloatField(allow_null=True)
    action_p90_hours = serializers.FloatField(allow_null=True)


class CategoryFiguresSerializer(_Figures):
    category = serializers.ChoiceField(choices=Category.choices)


class PlatformFiguresSerializer(_Figures):
    platform = serializers.CharField()
    platform_name = serializers.CharField()
    categories = CategoryFiguresSerializer(many=True)


class ComplianceReportSerializer(serializers.Serializer):
    period = serializers.DictField(child=serializers.DateField())
    platforms = PlatformFiguresSerializer(many=True)
    total = _Figures()


class DailyRowSerializer(serializers.Serializer):
    day = serializers.DateField()
    platform = serializers.CharField()
    received = serializers.IntegerField(help_text=_("Cases first submitted that day."))
    orders = serializers.IntegerField(help_text=_("Cycles opened that day (first submissions and reopenings)."))
    objected = serializers.IntegerField(help_text=_("Objections lodged that day."))
    actioned = serializers.IntegerField(help_text=_("Actions reported that day."))
    overdue = serializers.IntegerField(help_text=_("Deadlines missed that day."))
    late = serializers.IntegerField(help_text=_("Actions reported that day after their deadline."))


class CommitmentFiguresSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    platform = serializers.CharField()
    meeting = serializers.CharField()
    kind = serializers.CharField()
    text = serializers.CharField()
    text_en = serializers.CharField()
    status = serializers.ChoiceField(choices=CommitmentStatus.choices)
    due_on = serializers.DateField(allow_null=True)
    measured = serializers.BooleanField()
    measured_category = serializers.CharField(allow_null=True)
    target_hours = serializers.IntegerField(allow_null=True)
    cases = serializers.IntegerField(allow_null=True)
    decided = serializers.IntegerField(allow_null=True)
    met = serializers.IntegerField(allow_null=True)
    missed = serializers.IntegerField(allow_null=True)
    pending = serializers.IntegerField(allow_null=True, help_text=_("Inside the hours, not decided yet."))
    objection_pending = serializers.IntegerField(allow_null=True, help_text=_(
        "Objected in time, awaiting the decision: neither met nor missed."))
    share = serializers.FloatField(allow_null=True)


class SanctionCountSerializer(serializers.Serializer):
    platform = serializers.CharField()
    level = serializers.IntegerField()
    status = serializers.CharField()
    count = serializers.IntegerField()
    counted_by = serializers.ChoiceField(choices=["proposed", "issued"], help_text=_(
        "Whether the period selected the sanctions proposed in it or those issued in it."))


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^< [0-9]+$"}]})
class CountOrBelow(serializers.Field):
    """A count, or "< N" when below the publishing threshold (cases.reporting.services.publishing)."""

    def to_representation(self, value):
        return value


class TransparencyRowSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=_("YYYY-MM, Jakarta time."))
    platform = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    received = CountOrBelow()
    orders = CountOrBelow()
    actioned = CountOrBelow()
    actioned_on_time = CountOrBelow()
    missed = CountOrBelow()
    objected = CountOrBelow()
    withdrawn = CountOrBelow()
