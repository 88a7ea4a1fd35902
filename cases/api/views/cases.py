"""Cases: list, read, create, bulk intake, transitions, timeline, CSV export.

Every queryset starts at `Case.objects.visible_to(request.user)`, so anything out of scope is a 404.
Writes go through `cases.services.cases` and `cases.workflow.transition`.
"""

import re

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from cases import clock, text
from cases.api.exceptions import conflict, invalid
from cases.api.export import stream_csv
from cases.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from cases.api.pagination import NewestFirstCursor, OldestFirstCursor
from cases.api.parsers import JSON_ONLY, MAX_DEPTH
from cases.api.permissions import IsMinistry
from cases.api.schema import errors, list_errors
from cases.api.serializers import (
    BulkRequestSerializer,
    BulkResponseSerializer,
    CaseCreateSerializer,
    CaseEventSerializer,
    CaseSerializer,
    SubmissionCycleSerializer,
    TransitionSerializer,
)
from cases.api.throttling import BulkThrottle, IPThrottle, UserThrottle
from cases.filtersets import CaseEventFilterSet, CaseFilterSet
from cases.models import Case, CaseEvent, Platform, SubmissionCycle
from cases.services.cases import (
    BULK_ITEM_FIELDS,
    MAX_BULK_ITEMS,
    BulkOutcome,
    DuplicateOpenCase,
    create_case,
    create_cases_bulk,
    require_ministry_writer,
)
from cases.services.webhooks import mark_opened
from cases.workflow import TRANSITIONS, transition

# What an API client may not send of an order's fields: it names the platform by slug (`parse_item`), and
# assignment is the ministry console's business. Every other order field is a string.
NOT_FROM_CLIENTS = frozenset({"platform", "assigned_to"})
REFERENCE_REGEX = r"[A-Za-z0-9-]{1,40}"
# A row id in a path: ASCII digits (`\d` also takes "٣"), at most 18 so it fits a bigint; anything else is 404.
ID_REGEX = r"[0-9]{1,18}"
SLUG_REGEX = r"[-a-zA-Z0-9_]+"  # a platform's slug (a SlugField)
SLUG = re.compile(SLUG_REGEX)
VERSION = re.compile(r'(?:W/)?"?([0-9]+)"?')  # ASCII digits only: str.isdigit() also takes "²"


def scoped_cases(user) -> QuerySet:
    return (
        Case.objects.visible_to(user)
        .select_related("platform", "assigned_to", "created_by", "submitted_by")
    )


def case_for(request, reference: str) -> Case:
    """The case if this user may see it; 404 otherwise (also for a case of another platform)."""
    return get_object_or_404(scoped_cases(request.user), reference=reference.upper())


def etag(case: Case) -> str:
    return f'"{case.version}"'


def if_match_version(request) -> int | None:
    """`If-Match: "7"` → 7 (the case version the client last saw). Absent or `*` → None."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    match = VERSION.fullmatch(raw.strip())
    if match is None:
        raise invalid(_('If-Match must be the case version from its ETag, e.g. "3".'),
                      fields={"If-Match": [_("Not a version.")]})
    return int(match.group(1))


def parse_item(raw, platforms: dict[str, Platform], *, extra: frozenset = frozenset()) -> tuple[dict, dict]:
    """An order as sent (JSON) → keyword arguments for the case services, or field errors.

    Only shape is judged here (known fields, strings, a platform this user may see). What the values must
    be is judged by the service (`clean_new_case`), for single and bulk creation alike.
    """
    if not isinstance(raw, dict):
        return {}, {"non_field_errors": [_("Each item must be a JSON object.")]}
    _deep, unstorable = text.walk(raw, max_depth=MAX_DEPTH)  # depth: the parser has judged the whole body
    if unstorable:
        return {}, {path: [why] for path, why in unstorable.items()}
    kwargs, errors_ = {}, {}
    for name, value in raw.items():
        if name == "platform":
            platform = platforms.get(value) if isinstance(value, str) else None
            if platform is None:
                errors_[name] = [_("Unknown platform “%(slug)s”.") % {"slug": str(value)[:50]}]
            else:
                kwargs[name] = platform
        elif name in BULK_ITEM_FIELDS and name not in NOT_FROM_CLIENTS:
            if value is None:
                value = ""
            if not isinstance(value, str):
                errors_[name] = [_("Must be a string.")]
            else:
                kwargs[name] = value
        elif name not in extra:
            errors_[name] = [_("Unknown field.")]
    if "platform" not in raw:
        errors_["platform"] = [_("This field is required.")]
    return kwargs, errors_


def platforms_by_slug(user, slugs) -> dict[str, Platform]:
    """The visible platforms among `slugs`; what cannot be a slug (a NUL, a list) is simply not found."""
    wanted = {s for s in slugs if isinstance(s, str) and SLUG.fullmatch(s)}
    return {p.slug: p for p in Platform.objects.visible_to(user).filter(slug__in=wanted)} if wanted else {}


def _bool(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise invalid(_("%(name)s must be true or false.") % {"name": name}, fields={name: [_("Must be a boolean.")]})
    return value


def _text(data: dict, name: str) -> str:
    value = data.get(name) or ""
    if not isinstance(value, str):
        raise invalid(_("%(name)s must be a string.") % {"name": name}, fields={name: [_("Must be a string.")]})
    return value


@extend_schema_view(
    list=extend_schema(summary="List cases", description="Newest first, cursor-paginated. Liaisons see their "
                       "platforms' submitted cases only.", responses={200: CaseSerializer(many=True), **list_errors()}),
    retrieve=extend_schema(summary="Read a case", description="The `ETag` header carries the case version; send it "
                           "back as `If-Match` on a transition.", responses={200: CaseSerializer, **errors(404)}),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CaseSerializer
    lookup_field = "reference"
    lookup_value_regex = REFERENCE_REGEX
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilterSet
    pagination_class = NewestFirstCursor
    parser_classes = JSON_ONLY
    queryset = Case.objects.none()  # for the schema; requests use get_queryset()

    def get_queryset(self):
        return scoped_cases(self.request.user)

    def get_serializer_context(self):
        """One `now` for every row's `deadline_state` (`reports.deadline_picture`)."""
        return {**super().get_serializer_context(), "now": clock.now()}

    @property
    def json_judged_per_item(self) -> tuple[str, ...]:
        """Bulk intake judges the text of each item on its own (`parse_item`): one bad item is an invalid
        result, never a refused batch. The parser judges everything else."""
        return ("items",) if getattr(self, "action", None) == "bulk" else ()

    def retrieve(self, request, *args, **kwargs):
        case = case_for(request, kwargs["reference"])
        mark_opened(case, request.user)  # a liaison's system fetched the order: proof of service
        return Response(self.get_serializer(case).data, headers={"ETag": etag(case)})

    def _created(self, request, case: Case) -> Response:
        case = case_for(request, case.reference)
        return Response(self.get_serializer(case).data, status=status.HTTP_201_CREATED,
                        headers={"ETag": etag(case), "Location": request.build_absolute_uri(
                            self.get_serializer(case).data["url"])})

    @extend_schema(
        summary="Open a case",
        description="Ministry analysts, supervisors and administrators. With `submit: true` the case goes to the "
                    "platform at once and its deadline starts. An open case for the same location on the same "
                    "platform answers **409** `duplicate_open_case` with `existing_reference`.",
        request=CaseCreateSerializer, parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: CaseSerializer, **errors(400, 403, 409, 422)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        require_ministry_writer(request.user)
        data = request.data
        if not isinstance(data, dict):
            raise invalid(_("Send a JSON object."))
        kwargs_, field_errors = parse_item(data, platforms_by_slug(request.user, [data.get("platform")]),
                                           extra=frozenset({"submit", "note"}))
        if field_errors:
            raise invalid(_("Some fields are invalid."), fields=field_errors)
        try:
            case = create_case(actor=request.user, submit=_bool(data, "submit"), note=_text(data, "note"), **kwargs_)
        except DuplicateOpenCase as err:
            raise conflict(" ".join(err.messages), code="duplicate_open_case",
                           existing_reference=err.existing.reference) from None
        return self._created(request, case)

    @extend_schema(
        summary="Bulk intake (up to 1,000 orders)",
        description=(
            "Each item is judged on its own and gets a result, in order: `created` (with its `reference`), "
            "`duplicate` (of an open case — `reference` — or of an earlier item of the same batch — "
            "`duplicate_of_index` and that item's `reference`), or `invalid` (with `fields`). One bad item never "
            "fails the batch. More than 1,000 items answers 400 `too_many_items` and creates nothing. "
            "Send an `Idempotency-Key` to retry safely. Ministry writers only; throttled by the `bulk` rate."
        ),
        request=BulkRequestSerializer, parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: BulkResponseSerializer, **errors(400, 403, 422)},
        examples=[OpenApiExample("Two orders, submitted", request_only=True, value={
            "submit": True,
            "items": [
                {"platform": "telegram", "category": "terrorism", "location_url": "https://t.me/example/1",
                 "legal_basis": "UU ITE Art. 27(1)", "reasons": "Recruitment propaganda.", "source": "crawler"},
                {"platform": "facebook", "category": "gambling", "location_url": "https://facebook.com/slot88",
                 "legal_basis": "UU ITE Art. 27(2)", "reasons": "Online gambling advertisement."},
            ],
        })],
    )
    @action(detail=False, methods=["post"], url_path="bulk",
            throttle_classes=[UserThrottle, IPThrottle, BulkThrottle])
    @idempotent
    def bulk(self, request):
        require_ministry_writer(request.user)
        data = request.data
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise invalid(_("Send {\"items\": [...]} with up to %(n)d orders.") % {"n": MAX_BULK_ITEMS},
                          fields={"items": [_("A list is required.")]})
        items = data["items"]
        if len(items) > MAX_BULK_ITEMS:
            raise invalid(
                _("A batch holds at most %(max)d items; this one has %(n)d. Nothing was created; split it.")
                % {"max": MAX_BULK_ITEMS, "n": len(items)},
                code="too_many_items", fields={"items": [_("At most %(max)d items.") % {"max": MAX_BULK_ITEMS}]},
            )
        submit, note = _bool(data, "submit"), _text(data, "note")
        platforms = platforms_by_slug(request.user, [i.get("platform") for i in items if isinstance(i, dict)])
        parsed, positions, results = [], [], [None] * len(items)
        for index, raw in enumerate(items):
            kwargs_, field_errors = parse_item(raw, platforms)
            if field_errors:
                results[index] = {"index": index, "result": BulkOutcome.INVALID, "fields": field_errors}
            else:
                parsed.append(kwargs_)
                positions.append(index)
        outcomes = create_cases_bulk(actor=request.user, items=parsed, submit=submit, note=note)
        for outcome in outcomes:
            index = positions[outcome.index]
            row = {"index": index, "result": outcome.outcome}
            if outcome.reference:
                row["reference"] = outcome.reference
            if outcome.duplicate_of_index is not None:
                row["duplicate_of_index"] = positions[outcome.duplicate_of_index]
            if outcome.errors:
                row["fields"] = outcome.errors
            results[index] = row
        counts = dict.fromkeys((BulkOutcome.CREATED, BulkOutcome.DUPLICATE, BulkOutcome.INVALID), 0)
        for row in results:
            counts[row["result"]] += 1
        return Response({"submitted": submit, "counts": counts, "results": results})

    @extend_schema(
        summary="Apply a transition",
        description=(
            "`action` is one of: " + ", ".join(f"`{a}`" for a in TRANSITIONS) + ". `report_action` takes "
            "`action_taken` and `action_taken_at`; `object` takes `reason` and `text`; `uphold_objection`, "
            "`reject_objection`, `reopen` and `withdraw` need a `note`. Send `If-Match: \"<version>\"` (the "
            "case's ETag) to refuse acting on a stale picture. A refusal answers **409** with the reason "
            "(`code`: state, forbidden, stale); invalid data answers 400 with `fields`."
        ),
        request=TransitionSerializer,
        parameters=[IDEMPOTENCY_PARAMETER, OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                                            required=False, description='The case version, e.g. "3".')],
        responses={200: CaseSerializer, **errors(400, 404, 409, 422)},
    )
    @action(detail=True, methods=["post"], url_path="transitions")
    @idempotent
    def transitions(self, request, reference=None):
        case = case_for(request, reference)
        data = request.data
        if not isinstance(data, dict):
            raise invalid(_("Send a JSON object."))
        data = dict(data)
        action_name = data.pop("action", None)
        if not isinstance(action_name, str) or not action_name:
            raise invalid(_("Say which action to apply."), fields={"action": [_("This field is required.")]})
        note = data.pop("note", "") or ""
        if not isinstance(note, str):
            raise invalid(_("note must be a string."), fields={"note": [_("Must be a string.")]})
        reserved = sorted(set(data) & {"actor", "expected_version", "case"})
        if reserved:
            raise invalid(_("Unexpected fields."), fields={f: [_("Not accepted.")] for f in reserved})
        transition(case, action_name, actor=request.user, note=note, expected_version=if_match_version(request), **data)
        case = case_for(request, case.reference)
        return Response(self.get_serializer(case).data, headers={"ETag": etag(case)})


@extend_schema_view(list=extend_schema(
    summary="A case's timeline", description="Oldest first, cursor-paginated. Liaisons see shared entries only.",
    responses={200: CaseEventSerializer(many=True), **list_errors()},
))
class CaseEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = CaseEventSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseEventFilterSet
    pagination_class = OldestFirstCursor
    queryset = CaseEvent.objects.none()

    def get_queryset(self):
        case = case_for(self.request, self.kwargs["reference"])
        return CaseEvent.objects.visible_to(self.request.user).filter(case=case)


@extend_schema_view(list=extend_schema(
    summary="A case's submission cycles",
    description="Every submission of the case (the first, and each reopening), oldest first, each with its own "
                "deadline, acknowledgement, action, objections, overdue and late facts and its verdict, kept for "
                "good (docs/reports.md).",
    responses={200: SubmissionCycleSerializer(many=True), **list_errors()},
))
class CaseCycleViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SubmissionCycleSerializer
    pagination_class = None
    queryset = SubmissionCycle.objects.none()

    def get_queryset(self):
        case = case_for(self.request, self.kwargs["reference"])
        return SubmissionCycle.objects.visible_to(self.request.user).filter(case=case).select_related("case")


class CaseExportView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated, IsMinistry]
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilterSet
    pagination_class = None
    queryset = Case.objects.none()

    def get_queryset(self):
        return Case.objects.visible_to(self.request.user)

    @extend_schema(
        operation_id="v1_cases_export_csv",
        filters=True,
        summary="Export cases as CSV",
        description="The same filters as the case list. Streamed, so any number of rows. Ministry roles only "
                    "(liaisons: 403). Cells that a spreadsheet would run as a formula are prefixed with `'`.",
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR), **errors(400, 403)},
    )
    def get(self, request):
        response = StreamingHttpResponse(stream_csv(self.filter_queryset(self.get_queryset())),
                                         content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="patuh-cases-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        return response
