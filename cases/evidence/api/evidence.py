"""Evidence: list a case's items, upload one, read one, download one.

Uploads go through `cases.evidence.services.evidence.upload_evidence`. Downloads go through the one download view,
`cases.evidence.views.evidence.download_evidence` (scope, re-hash, custody record, safe headers); this module only
lets bearer-token clients reach it.
"""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser
from rest_framework.response import Response

from cases.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from cases.api.pagination import NewestFirstCursor
from cases.api.parsers import NameCheckingMultiPartParser
from cases.api.schema import errors, list_errors
from cases.api.serializers import EvidenceSerializer, EvidenceUploadSerializer
from cases.cases.api.cases import ID_REGEX, case_for
from cases.core.filtersets import EvidenceFilterSet
from cases.evidence import filetypes
from cases.evidence.matches import match_prefetches
from cases.evidence.services.evidence import upload_evidence
from cases.evidence.views.evidence import custody_meta, download_evidence
from cases.models import Evidence


@extend_schema_view(
    list=extend_schema(summary="A case's evidence", description="Newest first. Liaisons see shared items that "
                       "have not been withdrawn.", responses={200: EvidenceSerializer(many=True), **list_errors()}),
    create=extend_schema(
        summary="Upload evidence",
        description="multipart/form-data. Ministry writers on any case; a liaison on a submitted case of their "
                    "platform (always stored as a shared platform response). The file's content must match its "
                    "extension; see docs/evidence.md. With an `Idempotency-Key`, a retry of the same upload (same "
                    "fields, same file) answers the first upload's response and stores nothing twice.",
        request={"multipart/form-data": EvidenceUploadSerializer}, parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: EvidenceSerializer, **errors(400, 403, 404, 413, 422)},
    ),
)
class CaseEvidenceViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = EvidenceSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = EvidenceFilterSet
    parser_classes = [NameCheckingMultiPartParser, FormParser]
    pagination_class = NewestFirstCursor
    queryset = Evidence.objects.none()

    def get_queryset(self):
        case = case_for(self.request, self.kwargs["reference"])
        return (Evidence.objects.visible_to(self.request.user).filter(case=case).select_related("case", "uploaded_by")
                .prefetch_related(*match_prefetches(self.request.user)))

    @idempotent
    def create(self, request, *args, **kwargs):
        case = case_for(request, kwargs["reference"])  # 404 before anything else: not visible, not there
        form = EvidenceUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        evidence = upload_evidence(case=case, actor=request.user, request_meta=custody_meta(request),
                                   **form.validated_data)
        return Response(EvidenceSerializer(evidence, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


@extend_schema_view(
    retrieve=extend_schema(summary="Read an evidence item's record", responses={200: EvidenceSerializer,
                                                                               **errors(404)}),
)
class EvidenceViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = EvidenceSerializer
    lookup_value_regex = ID_REGEX
    queryset = Evidence.objects.none()

    def get_queryset(self):
        return (Evidence.objects.visible_to(self.request.user).select_related("case", "uploaded_by")
                .prefetch_related(*match_prefetches(self.request.user)))

    @extend_schema(
        summary="Download an evidence file",
        description="The file, as an attachment. The stored bytes are re-hashed first and the download is written "
                    "to the chain of custody; a file that no longer matches its hash is not served (409).",
        responses={**{(200, mime): OpenApiResponse(OpenApiTypes.BINARY, description="The file, in the type it was "
                                                    "stored as (the content type recorded at upload).")
                      for mime in sorted({t.mime for t in filetypes.ACCEPTED})},
                   **errors(404, 409)},
    )
    @action(detail=True, methods=["get"], url_path="download")
    def download(self, request, pk=None):
        # The one download implementation; DRF has authenticated the caller (session or bearer token).
        django_request = request._request
        django_request.user = request.user
        return download_evidence(django_request, pk=int(pk))
