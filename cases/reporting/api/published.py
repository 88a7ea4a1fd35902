"""Published reports (cases.reporting.services.publishing): listed and read by every signed-in user, published by a
supervisor. A published report never changes; its `document` is the exact published text (`sha256` is its
hash)."""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from cases.api.exceptions import invalid
from cases.api.pagination import SmallPages
from cases.api.parsers import JSON_ONLY
from cases.api.schema import errors, list_errors
from cases.api.serializers import OutputSerializer
from cases.cases.api.cases import ID_REGEX
from cases.models import PublishedReport
from cases.reporting.services.publishing import publish_report


class PublishedReportSerializer(OutputSerializer):
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    document = serializers.SerializerMethodField(help_text=_("The published document: its figures as published "
                                                             "(docs/reports.md), as an object."))

    class Meta:
        model = PublishedReport
        fields = ["id", "title", "first_day", "last_day", "as_of", "published_at", "published_by",
                  "definitions_version", "sha256", "document"]
        read_only_fields = fields

    def get_document(self, obj) -> dict:
        return json.loads(obj.document)


class PublishInputSerializer(serializers.Serializer):
    first_day = serializers.DateField(help_text=_("First Jakarta day (YYYY-MM-DD), inclusive."))
    last_day = serializers.DateField(help_text=_("Last Jakarta day (YYYY-MM-DD), inclusive; begun already."))
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)


@extend_schema_view(
    list=extend_schema(summary="List published reports", responses={200: PublishedReportSerializer(many=True),
                                                                     **list_errors()}),
    retrieve=extend_schema(summary="Read a published report", responses={200: PublishedReportSerializer,
                                                                         **errors(404)}),
    create=extend_schema(summary="Publish a period's report (supervisors)", request=PublishInputSerializer,
                         responses={201: PublishedReportSerializer, **errors(400, 403)}),
)
class PublishedReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                             viewsets.GenericViewSet):
    serializer_class = PublishedReportSerializer
    lookup_value_regex = ID_REGEX
    pagination_class = SmallPages
    parser_classes = JSON_ONLY
    queryset = PublishedReport.objects.none()

    def get_queryset(self):
        return PublishedReport.objects.visible_to(self.request.user).select_related("published_by")

    def create(self, request, *args, **kwargs):
        given = PublishInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            report = publish_report(actor=request.user, first=given.validated_data["first_day"],
                                    last=given.validated_data["last_day"], title=given.validated_data.get("title", ""))
        except PermissionDenied as err:
            from rest_framework.exceptions import PermissionDenied as Forbidden

            raise Forbidden(str(err)) from None
        except ValidationError as err:
            fields = err.message_dict if hasattr(err, "error_dict") else {}
            raise invalid(" ".join(err.messages), fields=fields) from None
        return Response(PublishedReportSerializer(report, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)
