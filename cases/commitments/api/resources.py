"""Platforms, meetings, commitments (with progress updates) and sanctions.

Reads go through `visible_to`; writes through `cases.commitments.services.commitments` and
`cases.sanctions.services.sanctions`, which decide who may (a liaison posts progress on their own platform's
commitments; supervisors decide sanctions).
"""


from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.api.exceptions import invalid
from cases.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from cases.api.pagination import SmallPages
from cases.api.parsers import JSON_ONLY
from cases.api.schema import errors, list_errors
from cases.api.serializers import (
    SLUG_REGEX,
    CommitmentSerializer,
    CommitmentUpdateInputSerializer,
    CommitmentUpdateSerializer,
    FinePreviewSerializer,
    LetterSerializer,
    LetterTranslateSerializer,
    MeetingSerializer,
    PlatformSerializer,
    SanctionCiteSerializer,
    SanctionIssueSerializer,
    SanctionLiftSerializer,
    SanctionNoteSerializer,
    SanctionProposeSerializer,
    SanctionSerializer,
)
from cases.cases.api.cases import ID_REGEX
from cases.commitments.services.commitments import post_update
from cases.core.choices import SanctionLevel, SanctionStatus
from cases.core.filtersets import (
    CommitmentFilterSet,
    LetterFilterSet,
    MeetingFilterSet,
    PlatformFilterSet,
    SanctionFilterSet,
)
from cases.core.roles import is_ministry, liaison_platform_ids
from cases.models import Commitment, CommitmentUpdate, Letter, Meeting, Platform, Sanction
from cases.sanctions.services import sanctions as sanction_services


class ReadOnlyScoped(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filter_backends = [DjangoFilterBackend]
    parser_classes = JSON_ONLY  # the writes below (progress updates, sanction steps) take JSON only
    pagination_class = SmallPages
    model = None

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List platforms", description="Liaisons see their own platform(s).",
                       responses={200: PlatformSerializer(many=True), **list_errors()}),
    retrieve=extend_schema(summary="Read a platform", responses={200: PlatformSerializer, **errors(404)}),
)
class PlatformViewSet(ReadOnlyScoped):
    model = Platform
    queryset = Platform.objects.none()
    serializer_class = PlatformSerializer
    filterset_class = PlatformFilterSet
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX

    def get_queryset(self):
        return super().get_queryset().prefetch_related("memberships__user")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "standings": sanction_services.standings()}


@extend_schema_view(
    list=extend_schema(summary="List meetings", responses={200: MeetingSerializer(many=True), **list_errors()}),
    retrieve=extend_schema(summary="Read a meeting", responses={200: MeetingSerializer, **errors(404)}),
)
class MeetingViewSet(ReadOnlyScoped):
    lookup_value_regex = ID_REGEX
    model = Meeting
    queryset = Meeting.objects.none()
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilterSet

    def get_queryset(self):
        return super().get_queryset().prefetch_related("platforms").order_by("-held_on", "-id")

    def get_serializer_context(self):
        user = self.request.user
        visible = None if is_ministry(user) else liaison_platform_ids(user)
        return {**super().get_serializer_context(), "visible_platform_ids": visible}


@extend_schema_view(
    list=extend_schema(summary="List commitments", responses={200: CommitmentSerializer(many=True), **list_errors()}),
    retrieve=extend_schema(summary="Read a commitment", responses={200: CommitmentSerializer, **errors(404)}),
)
class CommitmentViewSet(ReadOnlyScoped):
    model = Commitment
    queryset = Commitment.objects.none()
    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilterSet
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return super().get_queryset().select_related("platform")

    def _commitment(self, pk) -> Commitment:
        return get_object_or_404(Commitment.objects.visible_to(self.request.user), pk=pk)

    @extend_schema(summary="A commitment's progress updates", filters=False,
                   responses={200: CommitmentUpdateSerializer(many=True), **errors(404)})
    @action(detail=True, methods=["get"], url_path="updates", pagination_class=None, filterset_class=None)
    def updates(self, request, pk=None):
        commitment = self._commitment(pk)
        rows = (CommitmentUpdate.objects.visible_to(request.user).filter(commitment=commitment)
                .select_related("author").order_by("created_at", "id"))
        return Response(CommitmentUpdateSerializer(rows, many=True).data)

    @extend_schema(
        summary="Post a progress update",
        description="A liaison on their own platform's commitments (status open or in_progress only); "
                    "ministry writers on any.",
        request=CommitmentUpdateInputSerializer, parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: CommitmentUpdateSerializer, **errors(400, 403, 404, 409, 422)},
    )
    @updates.mapping.post
    @idempotent
    def post_update(self, request, pk=None):
        commitment = self._commitment(pk)
        form = CommitmentUpdateInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        update = post_update(commitment, actor=request.user, **form.validated_data)
        return Response(CommitmentUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


def _sanction_step(name: str, serializer_class, action: str | None = None):
    """A supervisor's decision on a sanction: validate, apply the lifecycle's step, answer with the sanction.
    A refused step answers 409 (400 when its data was invalid), as case transitions do."""

    def step(self, request, pk=None):
        sanction = get_object_or_404(Sanction.objects.visible_to(request.user), pk=pk)
        form = serializer_class(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        note = data.pop("note", "") or data.pop("reason", "")
        chosen = action or ("withdraw" if sanction.status == SanctionStatus.PROPOSED else "lift")
        updated = sanction_services.transition(sanction, chosen, actor=request.user, note=note, **data)
        return Response(SanctionSerializer(updated, context=self.get_serializer_context()).data)

    step.__name__ = step.__qualname__ = name
    return step


@extend_schema_view(
    list=extend_schema(summary="List sanctions", description="Liaisons see their platform's issued sanctions.",
                       responses={200: SanctionSerializer(many=True), **list_errors()}),
    retrieve=extend_schema(summary="Read a sanction", responses={200: SanctionSerializer, **errors(404)}),
    create=extend_schema(summary="Propose a sanction", description="Supervisors and administrators. A platform "
                         "with a proposal awaiting a decision answers 409 `state`.",
                         request=SanctionProposeSerializer, responses={201: SanctionSerializer,
                                                                       **errors(400, 403, 409)}),
)
class SanctionViewSet(mixins.CreateModelMixin, ReadOnlyScoped):
    model = Sanction
    queryset = Sanction.objects.none()
    serializer_class = SanctionSerializer
    filterset_class = SanctionFilterSet
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return super().get_queryset().select_related("platform").prefetch_related("cases")

    def create(self, request, *args, **kwargs):
        form = SanctionProposeSerializer(data=request.data, context={"user": request.user})
        form.is_valid(raise_exception=True)
        sanction = sanction_services.propose_sanction(actor=request.user, **form.validated_data)
        return Response(SanctionSerializer(sanction, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(summary="Preview a proposed fine", filters=False,
                   description="What issuing this fine would compute now (nothing is written): each index in "
                               "words, the points cap, the tariff and the amount. Ministry staff.",
                   parameters=[OpenApiParameter("virality", enum=["low", "medium", "high"], required=False)],
                   responses={200: FinePreviewSerializer, **errors(400, 403, 404)})
    @action(detail=True, methods=["get"], url_path="fine-preview", filterset_class=None, pagination_class=None)
    def fine_preview(self, request, pk=None):
        from django.core.exceptions import PermissionDenied

        sanction = get_object_or_404(Sanction.objects.visible_to(request.user), pk=pk)
        if not is_ministry(request.user):
            raise PermissionDenied(_("The fine's computation is the ministry's."))
        if sanction.level != SanctionLevel.FINE:
            raise invalid(_("This sanction is not a fine."))
        virality = request.query_params.get("virality") or "low"
        if virality not in ("low", "medium", "high"):
            raise invalid(_("Choose low, medium or high virality."), fields={"virality": [_("Unknown virality.")]})
        preview = sanction_services.fine_preview(sanction, virality=virality)
        inputs = preview["inputs"]
        return Response({"amount": preview["amount"], "amount_value": inputs["amount"], "currency": inputs["currency"],
                         "points_cap": inputs["points_cap"], "tariff": preview["tariff"], "product": inputs["product"],
                         "basis": preview["basis"], "policy_name": preview["policy_name"],
                         "lines": [{k: str(v) if k != "defaulted" else v for k, v in line.items()}
                                   for line in preview["lines"]]})

    cite = extend_schema(summary="Cite an overdue case on a proposal", request=SanctionCiteSerializer,
                         responses={200: SanctionSerializer, **errors(400, 404, 409)})(
        action(detail=True, methods=["post"], url_path="cite")(
            _sanction_step("cite", SanctionCiteSerializer, "cite")))
    issue = extend_schema(summary="Issue a proposed sanction", request=SanctionIssueSerializer,
                          responses={200: SanctionSerializer, **errors(400, 403, 404, 409)})(
        action(detail=True, methods=["post"], url_path="issue")(
            _sanction_step("issue", SanctionIssueSerializer, "issue")))
    comply = extend_schema(summary="Mark an issued sanction complied / paid", request=SanctionNoteSerializer,
                           responses={200: SanctionSerializer, **errors(400, 403, 404, 409)})(
        action(detail=True, methods=["post"], url_path="comply")(
            _sanction_step("comply", SanctionNoteSerializer, "comply")))
    withdraw = extend_schema(summary="Withdraw a proposal", request=SanctionLiftSerializer,
                             responses={200: SanctionSerializer, **errors(400, 403, 404, 409)})(
        action(detail=True, methods=["post"], url_path="withdraw")(
            _sanction_step("withdraw", SanctionLiftSerializer, "withdraw")))
    lift = extend_schema(summary="Lift an issued sanction (on a proposal: withdraw it)",
                         request=SanctionLiftSerializer,
                         responses={200: SanctionSerializer, **errors(400, 403, 404, 409)})(
        action(detail=True, methods=["post"], url_path="lift")(
            _sanction_step("lift", SanctionLiftSerializer)))


@extend_schema_view(
    list=extend_schema(summary="List letters",
                       description="Official letters (takedown orders, warning letters, fines, blocking "
                                   "recommendations). Liaisons see their platform's.",
                       responses={200: LetterSerializer(many=True), **list_errors()}),
    retrieve=extend_schema(summary="Read a letter", responses={200: LetterSerializer, **errors(404)}),
)
class LetterViewSet(ReadOnlyScoped):
    model = Letter
    queryset = Letter.objects.none()
    serializer_class = LetterSerializer
    filterset_class = LetterFilterSet
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return super().get_queryset().select_related("platform", "case").order_by("-created_at", "-id")

    @extend_schema(
        summary="Download a letter's PDF",
        description="The stored PDF is re-hashed first and the download written to the timeline of its case or "
                    "sanction; the platform's first download is recorded as its receipt. A file that no longer "
                    "matches its SHA-256 is not served (409).",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY), **errors(404, 409)},
    )
    @action(detail=True, methods=["get"], url_path="pdf", filterset_class=None, pagination_class=None)
    def pdf(self, request, pk=None):
        from cases.sanctions.views.letters import download_letter

        django_request = request._request
        django_request.user = request.user
        return download_letter(django_request, pk=int(pk))

    @extend_schema(summary="The same letter in another language (English on request)",
                   description="Ministry writers. The translation keeps the letter's number.",
                   request=LetterTranslateSerializer, responses={202: LetterSerializer, **errors(400, 403, 404)})
    @action(detail=True, methods=["post"], url_path="translations", filterset_class=None, pagination_class=None)
    def translations(self, request, pk=None):
        from django.core.exceptions import PermissionDenied

        from cases.core.roles import MINISTRY_WRITERS, has_role
        from cases.sanctions.services import letters

        letter = get_object_or_404(Letter.objects.visible_to(request.user), pk=pk)
        if not has_role(request.user, *MINISTRY_WRITERS):
            raise PermissionDenied(_("Only ministry staff ask for a letter in another language."))
        form = LetterTranslateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        translated = letters.translate(letter, language=form.validated_data["language"], actor=request.user)
        return Response(LetterSerializer(translated).data, status=status.HTTP_202_ACCEPTED)
