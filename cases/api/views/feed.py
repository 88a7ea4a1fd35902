"""The change feed, and bulk responses from platforms.

`GET /api/v1/events/?after=<cursor>`: the caller's scoped timeline entries in commit order. Event ids are
taken under the audit chain's lock, held until commit (cases/core/audit.py), so an id is only ever visible after
every smaller one that will ever exist: a client that stores the last `next` cursor and asks again never
misses an entry. A liaison's feed holds the shared entries of their platforms' cases from the moment each
case reached the platform (entries written while it was a draft never appear later behind the cursor).

`POST /api/v1/cases/transitions/bulk/`: up to 1,000 acknowledgements, action reports and objections, each
applied on its own through `transition()` and answered in its own result, as bulk intake does.
"""

import re

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.exceptions import invalid
from cases.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from cases.api.parsers import JSON_ONLY
from cases.api.schema import errors, optional_query
from cases.api.serializers import (
    BatchSerializer,
    BulkItemsField,
    CaseEventSerializer,
    InvalidItem,
    KnownFieldsSerializer,
    judge_item,
)
from cases.api.throttling import BulkThrottle, IPThrottle, UserThrottle
from cases.cases.api.cases import scoped_cases
from cases.cases.workflow import TransitionError, transition
from cases.core.roles import is_ministry
from cases.models import CaseEvent

FEED_PAGE = 100
FEED_MAX_PAGE = 1000
CURSOR = re.compile(r"[0-9]{1,18}")
BULK_ACTIONS = ("acknowledge", "report_action", "object")
MAX_BULK_TRANSITIONS = 1000


class FeedEventSerializer(CaseEventSerializer):
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta(CaseEventSerializer.Meta):
        fields = ["id", "case", *CaseEventSerializer.Meta.fields[1:]]
        read_only_fields = fields


class FeedSerializer(serializers.Serializer):
    events = FeedEventSerializer(many=True)
    next = serializers.CharField(help_text=gettext_lazy("Send it back as `after` to get what follows."))
    has_more = serializers.BooleanField(help_text=gettext_lazy("true: ask again at once; false: poll later."))


def feed_queryset(user):
    events = CaseEvent.objects.visible_to(user)
    if not is_ministry(user):
        events = events.filter(created_at__gte=F("case__submitted_at"))
    return events


class EventFeedView(APIView):
    @extend_schema(
        summary="Change feed",
        description="Your timeline entries after `after`, oldest first, in commit order: gap-free and resumable. "
                    "Start without `after` (from the beginning) or with the `next` of your last call.",
        parameters=[
            optional_query("after", {"type": "string", "pattern": "^[0-9]{1,18}$"},
                           "The `next` cursor of the previous call."),
            optional_query("limit", {"type": "integer", "minimum": 1, "maximum": FEED_MAX_PAGE},
                           f"Entries per call, up to {FEED_MAX_PAGE} (default {FEED_PAGE})."),
        ],
        responses={200: FeedSerializer, **errors(400)},
    )
    def get(self, request):
        raw_after = request.query_params.get("after") or "0"
        if not CURSOR.fullmatch(raw_after):
            raise invalid(_("after must be the `next` cursor of a previous call."),
                          fields={"after": [_("Not a cursor.")]})
        raw_limit = request.query_params.get("limit") or str(FEED_PAGE)
        if not re.fullmatch(r"[0-9]{1,6}", raw_limit) or not 1 <= int(raw_limit) <= FEED_MAX_PAGE:
            raise invalid(_("limit must be a whole number from 1 to %(max)d.") % {"max": FEED_MAX_PAGE},
                          fields={"limit": [_("Out of range.")]})
        after, limit = int(raw_after), int(raw_limit)
        rows = list(feed_queryset(request.user).filter(id__gt=after).select_related("case")
                    .order_by("id")[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
        data = FeedEventSerializer(rows, many=True, context={"request": request}).data
        return Response({"events": data, "next": str(rows[-1].id if rows else after), "has_more": has_more})


class BulkTransitionItemSerializer(KnownFieldsSerializer):
    reference = serializers.CharField()
    action = serializers.ChoiceField(choices=BULK_ACTIONS)
    note = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, help_text=gettext_lazy(
        "The case version you acted on (its ETag); refused as `stale` if it changed since."))
    action_taken = serializers.CharField(required=False)
    action_taken_at = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)
    text = serializers.CharField(required=False)


class BulkTransitionRequestSerializer(BatchSerializer):  # each item is judged on its own (`apply` below)
    max_items = MAX_BULK_TRANSITIONS
    needs_a_list = gettext_lazy("Send {\"items\": [...]} with up to %(n)d items.")
    too_many = gettext_lazy("A batch holds at most %(max)d items; this one has %(n)d. Nothing was done; split it.")

    items = BulkItemsField(child=serializers.JSONField(), max_length=MAX_BULK_TRANSITIONS, help_text=(
        gettext_lazy("Up to %(n)d items shaped as BulkTransitionItem. Each is judged on its own.")
        % {"n": MAX_BULK_TRANSITIONS}))


class BulkTransitionResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    reference = serializers.CharField(required=False)
    result = serializers.ChoiceField(choices=["done", "refused", "invalid", "not_found"])
    status = serializers.CharField(required=False, help_text=gettext_lazy("The case's status after the action."))
    version = serializers.IntegerField(required=False)
    code = serializers.CharField(required=False, help_text=gettext_lazy("Why not: state, forbidden, stale, ..."))
    message = serializers.CharField(required=False)
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class BulkTransitionCountsSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    refused = serializers.IntegerField()
    invalid = serializers.IntegerField()
    not_found = serializers.IntegerField()


class BulkTransitionResponseSerializer(serializers.Serializer):
    counts = BulkTransitionCountsSerializer()
    results = BulkTransitionResultSerializer(many=True)


class BulkTransitionView(APIView):
    parser_classes = JSON_ONLY
    throttle_classes = [UserThrottle, IPThrottle, BulkThrottle]

    @extend_schema(
        summary="Bulk responses (up to 1,000)",
        description=(
            "Acknowledge, report actions and object, for many cases at once. Each item is applied on its own by "
            "the same workflow as `POST /cases/{reference}/transitions/` and gets its result, in order: `done` "
            "(with the new `status` and `version`), `refused` (with `code` and `message`: state, forbidden, "
            "stale), `invalid` (with `fields`) or `not_found` (no such case, or not yours). One bad item never "
            "fails the others. Send an `Idempotency-Key` to retry safely."
        ),
        request=BulkTransitionRequestSerializer, parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: BulkTransitionResponseSerializer, **errors(400, 422)},
        examples=[OpenApiExample("Two answers", request_only=True, value={"items": [
            {"reference": "PTH-2026-000301", "action": "acknowledge"},
            {"reference": "PTH-2026-000302", "action": "report_action", "action_taken": "removed",
             "action_taken_at": "2026-03-02T10:15:00+07:00", "note": "Channel closed."},
        ]})],
    )
    @idempotent
    def post(self, request):
        form = BulkTransitionRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        items = form.validated_data["items"]
        references = {i["reference"].strip().upper() for i in items
                      if isinstance(i, dict) and isinstance(i.get("reference"), str)}
        cases = {c.reference: c for c in scoped_cases(request.user).filter(reference__in=references)}
        one = BulkTransitionItemSerializer()  # bound once for the batch (`judge_item`)
        results = [self.apply(index, judge_item(one, raw), cases, request.user) for index, raw in enumerate(items)]
        counts = dict.fromkeys(("done", "refused", "invalid", "not_found"), 0)
        for row in results:
            counts[row["result"]] += 1
        return Response({"counts": counts, "results": results})

    @staticmethod
    def apply(index: int, judged, cases: dict, user) -> dict:
        """One item, judged for its shape (`judge_item`): the lookup and the transition."""
        if isinstance(judged, InvalidItem):
            return {"index": index, "result": "invalid", "fields": judged.fields}
        values = dict(judged)
        reference = values.pop("reference").strip().upper()
        case = cases.get(reference)
        if case is None:
            return {"index": index, "reference": reference, "result": "not_found",
                    "message": _("No case %(ref)s, or not yours to see.") % {"ref": reference[:40]}}
        action, note, version = values.pop("action"), values.pop("note", ""), values.pop("version", None)
        try:
            transition(case, action, actor=user, note=note, expected_version=version, **values)
        except TransitionError as err:
            row = {"index": index, "reference": reference, "code": err.code, "message": err.message}
            if err.field_errors:
                return {**row, "result": "invalid", "fields": {k: [v] for k, v in err.field_errors.items()}}
            return {**row, "result": "refused"}
        return {"index": index, "reference": reference, "result": "done", "status": case.status,
                "version": case.version}
