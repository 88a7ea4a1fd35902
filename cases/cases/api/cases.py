"""Cases: list, read, create, bulk intake, transitions, timeline, CSV export.

Every queryset starts at `Case.objects.visible_to(request.user)`, so anything out of scope is a 404.
Writes go through `cases.cases.services.cases` and `cases.cases.workflow.transition`.
"""

import re

from django.db.models import F, QuerySet
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

from cases.api.exceptions import conflict, invalid
from cases.api.export import stream_csv
from cases.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from cases.api.pagination import NewestFirstCursor, OldestFirstCursor
from cases.api.parsers import JSON_ONLY
from cases.api.permissions import IsMinistry
from cases.api.schema import errors, list_errors
from cases.api.serializers import (
    BulkRequestSerializer,
    BulkResponseSerializer,
    CaseCreateSerializer,
    CaseEventSerializer,
    CaseSerializer,
    InvalidItem,
    SubmissionCycleSerializer,
    TransitionSerializer,
)
from cases.api.services.webhooks import mark_opened
from cases.api.throttling import BulkThrottle, IPThrottle, UserThrottle
from cases.cases.services.cases import (
    BulkOutcome,
    DuplicateOpenCase,
    create_case,
    create_cases_bulk,
    require_ministry_writer,
)
from cases.cases.workflow import TRANSITIONS, transition
from cases.core import clock
from cases.core.filtersets import CaseEventFilterSet, CaseFilterSet
from cases.models import Case, CaseEvent, SubmissionCycle

REFERENCE_REGEX = r"[A-Za-z0-9-]{1,40}"
# A row id in a path: ASCII digits (`\d` also takes "٣"), at most 18 so it fits a bigint; anything else is 404.
ID_REGEX = r"[0-9]{1,18}"
VERSION = re.compile(r'(?:W/)?"?([0-9]+)"?')  # ASCII digits only: str.isdigit() also takes "²"


def scoped_cases(user) -> QuerySet:
    return (
        Case.objects.visible_to(user)
        .select_related("platform", "assigned_to", "created_by", "submitted_by")
    )


def listed_cases(user) -> QuerySet:
    """The list's rows: the platform's slug and the usernames come as columns (`RelatedSlugField` reads them), so
    a page builds one object per case, not five."""
    return (
        Case.objects.visible_to(user)
        .annotate(platform_slug=F("platform__slug"), assigned_to_username=F("assigned_to__username"),
                  created_by_username=F("created_by__username"), submitted_by_username=F("submitted_by__username"))
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
        if getattr(self, "action", None) == "list":
            return listed_cases(self.request.user)
        return scoped_cases(self.request.user)

    def get_serializer_context(self):
        """One `now` for every row's `deadline_state` (`reports.deadline_picture`)."""
        return {**super().get_serializer_context(), "now": clock.now()}

    @property
    def json_judged_per_item(self) -> tuple[str, ...]:
        """Bulk intake judges the text of each item on its own (`CaseInputSerializer`): one bad item is an
        invalid result, never a refused batch. The parser judges everything else."""
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
        form = CaseCreateSerializer(data=request.data, context={"user": request.user})
        form.is_valid(raise_exception=True)
        try:
            case = create_case(actor=request.user, **form.validated_data)
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
        form = BulkRequestSerializer(data=request.data, context={"user": request.user})
        form.is_valid(raise_exception=True)
        items, submit = form.validated_data["items"], form.validated_data["submit"]
        valid = [index for index, item in enumerate(items) if not isinstance(item, InvalidItem)]
        outcomes = create_cases_bulk(actor=request.user, items=[items[i] for i in valid], submit=submit,
                                     note=form.validated_data["note"])
        results = [{"index": index, "result": BulkOutcome.INVALID, "fields": item.fields}
                   if isinstance(item, InvalidItem) else None for index, item in enumerate(items)]
        for outcome in outcomes:
            index = valid[outcome.index]
            row = {"index": index, "result": outcome.outcome}
            if outcome.reference:
                row["reference"] = outcome.reference
            if outcome.duplicate_of_index is not None:
                row["duplicate_of_index"] = valid[outcome.duplicate_of_index]
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
        form = TransitionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        transition(case, data.pop("action"), actor=request.user, note=data.pop("note"),
                   expected_version=if_match_version(request), **data)
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
