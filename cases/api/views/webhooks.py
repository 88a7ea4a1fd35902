"""Webhook subscriptions and their delivery log, for platforms to set themselves up by machine.

A liaison's token manages its platform's endpoints (administrators: any platform's); everyone who may see a
platform reads its endpoints and deliveries. Another platform's endpoint or delivery answers 404. Writes go
through `cases.api.services.webhooks`. A new endpoint's secret, and a rotated one, are in that response only.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.api.exceptions import invalid
from cases.api.pagination import NewestFirstCursor, SmallPages
from cases.api.parsers import JSON_ONLY
from cases.api.schema import errors, list_errors
from cases.api.serializers import SLUG_REGEX, OutputSerializer, RFC3339DateTimeField
from cases.api.services import webhooks
from cases.cases.api.cases import ID_REGEX
from cases.core.filtersets import WebhookDeliveryFilterSet, WebhookEndpointFilterSet
from cases.models import Platform, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEventType

EVENT_TYPE_HELP = gettext_lazy("Event types to receive: %(types)s.") % {"types": ", ".join(WebhookEventType.values)}


# --- serializers ----------------------------------------------------------------------------------------------


class WebhookEndpointSerializer(OutputSerializer):
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEventType.choices))
    previous_secret_valid_until = RFC3339DateTimeField(source="previous_secret_expires_at", allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "platform", "url", "description", "event_types", "is_active", "disabled_at",
                  "disabled_reason", "failure_streak", "last_success_at", "last_failure_at", "secret_rotated_at",
                  "previous_secret_valid_until", "created_at", "updated_at"]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text=gettext_lazy(
        "The signing secret (whsec_...). Shown in this response only: store it now."))

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointCreateSerializer(serializers.Serializer):
    platform = serializers.RegexField(SLUG_REGEX, max_length=50, required=False, help_text=gettext_lazy(
        "The platform's slug. A liaison of one platform may leave it out."))
    url = serializers.CharField(max_length=500, help_text=gettext_lazy("HTTPS, on a public address."))
    event_types = serializers.MultipleChoiceField(choices=WebhookEventType.choices, allow_empty=False,
                                                  help_text=EVENT_TYPE_HELP)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, required=False)
    event_types = serializers.MultipleChoiceField(choices=WebhookEventType.choices, allow_empty=False,
                                                  required=False, help_text=EVENT_TYPE_HELP)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False, help_text=gettext_lazy(
        "false pauses the endpoint; true resumes it (and re-enables one disabled after a 410)."))


class WebhookAttemptSerializer(OutputSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "attempted_at", "status_code", "latency_ms", "error", "response_excerpt"]
        read_only_fields = fields


class WebhookDeliverySerializer(OutputSerializer):
    webhook_id = serializers.CharField(source="message_id")
    endpoint = serializers.PrimaryKeyRelatedField(read_only=True)
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "webhook_id", "endpoint", "case", "event_type", "status", "created_at", "next_attempt_at",
                  "attempts", "delivered_at", "last_status_code", "last_error", "payload", "attempt_log"]
        read_only_fields = fields


# --- filters --------------------------------------------------------------------------------------------------


# --- views ----------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List webhook endpoints", description="Liaisons see their platform's.",
                       responses={200: WebhookEndpointSerializer(many=True), **list_errors()}),
    retrieve=extend_schema(summary="Read a webhook endpoint", responses={200: WebhookEndpointSerializer,
                                                                         **errors(404)}),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WebhookEndpointSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = WebhookEndpointFilterSet
    pagination_class = SmallPages
    parser_classes = JSON_ONLY
    queryset = WebhookEndpoint.objects.none()
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return WebhookEndpoint.objects.visible_to(self.request.user).select_related("platform").order_by("id")

    def _platform(self, slug) -> Platform:
        allowed = webhooks.manageable_platform_ids(self.request.user)
        visible = Platform.objects.visible_to(self.request.user)
        if slug is None:
            if allowed is not None and len(allowed) == 1:
                return visible.get(pk=next(iter(allowed)))
            raise invalid(_("Say which platform the endpoint is for."),
                          fields={"platform": [_("This field is required.")]})
        platform = visible.filter(slug=slug).first()
        if platform is None:
            raise invalid(_("Unknown platform."), fields={"platform": [_("Unknown platform.")]})
        return platform

    @extend_schema(
        summary="Add a webhook endpoint",
        description="A liaison adds one for their platform; an administrator for any. The answer carries the "
                    "signing `secret`, once. Deliveries follow the Standard Webhooks convention (docs/webhooks.md).",
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, **errors(400, 403)},
    )
    def create(self, request):
        data = WebhookEndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        endpoint = webhooks.create_endpoint(
            actor=request.user, platform=self._platform(values.get("platform")), url=values["url"],
            event_types=sorted(values["event_types"]), description=values.get("description", ""),
            is_active=values.get("is_active", True))
        return Response(WebhookEndpointWithSecretSerializer(endpoint, context={"request": request}).data,
                        status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @extend_schema(summary="Change a webhook endpoint", request=WebhookEndpointUpdateSerializer,
                   responses={200: WebhookEndpointSerializer, **errors(400, 403, 404)})
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        data = WebhookEndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "event_types" in changes:
            changes["event_types"] = sorted(changes["event_types"])
        endpoint = webhooks.update_endpoint(endpoint, actor=request.user, **changes)
        return Response(WebhookEndpointSerializer(endpoint, context={"request": request}).data)

    @extend_schema(
        summary="Rotate the signing secret",
        description="A new secret, in this answer only. Deliveries are signed with the old one too until "
                    "`previous_secret_valid_until`, so the receiver can switch without losing one.",
        request=None, responses={200: WebhookEndpointWithSecretSerializer, **errors(403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = webhooks.rotate_secret(self.get_object(), actor=request.user)
        return Response(WebhookEndpointWithSecretSerializer(endpoint, context={"request": request}).data,
                        headers={"Cache-Control": "no-store"})


@extend_schema_view(
    list=extend_schema(summary="The webhook delivery log",
                       description="Newest first. Every attempt: time, HTTP status, latency, error.",
                       responses={200: WebhookDeliverySerializer(many=True), **list_errors()}),
    retrieve=extend_schema(summary="Read a webhook delivery", responses={200: WebhookDeliverySerializer,
                                                                         **errors(404)}),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WebhookDeliverySerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = WebhookDeliveryFilterSet
    pagination_class = NewestFirstCursor
    parser_classes = JSON_ONLY
    queryset = WebhookDelivery.objects.none()
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return (WebhookDelivery.objects.visible_to(self.request.user)
                .select_related("case").prefetch_related("attempt_log"))

    @extend_schema(
        summary="Redeliver",
        description="Send the delivery again now, with the same `webhook-id`. Its attempts are kept.",
        request=None, responses={202: WebhookDeliverySerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = get_object_or_404(self.get_queryset(), pk=pk)
        delivery = webhooks.redeliver(delivery, actor=request.user)
        return Response(self.get_serializer(delivery).data, status=status.HTTP_202_ACCEPTED)
