"""Tenant isolation, probed from what the application itself declares (issue 8).

Every operation of the OpenAPI schema (generated in-process by drf-spectacular), every URL of every
ModelAdmin registered on both consoles (`admin.site` at /admin/, `platform_site` at /platform/), the
consoles' own views, and the other project URLs (evidence downloads) are called by liaison B (Facebook)
against platform A's (Telegram's) objects, with every method and with valid-looking bodies. Nothing is
listed by hand: a new operation or URL is probed the day it is added. Every path parameter must resolve
to one of A's objects (`API_PARAMETERS`, `ADMIN_PARAMETERS`, `OTHER_URL_PARAMETERS`); one that does not
fails the test with a message saying what to add, so nothing escapes the probe silently.

What counts as a leak:
- an object URL of A's answering anything but 404 (405 only for a method the API route does not declare);
- any response carrying one of A's markers (references, URLs, texts, hashes, token prefixes) that the
  request did not carry itself;
- any row of A's changed (every field of every row, counts included, compared before and after).

The anonymous visitor gets the same probe and must only ever be sent away (401, 403, 404, 405, or a
redirect to a login page), never shown data.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from cases.api.services.tokens import create_token
from cases.api.services.webhooks import create_endpoint
from cases.cases.services.cases import add_comment
from cases.cases.workflow import TRANSITIONS
from cases.commitments.services.commitments import post_update
from cases.core import clock, roles
from cases.core.choices import CommitmentKind, Visibility
from cases.evidence.services.evidence import upload_evidence
from cases.models import (
    ApiToken,
    Case,
    CaseEvent,
    Commitment,
    CommitmentEvent,
    CommitmentUpdate,
    CustodyEvent,
    DeadlineOverride,
    DeadlinePolicy,
    Evidence,
    FinePolicy,
    HashList,
    HashMatch,
    ImageHash,
    Letter,
    LetterTemplate,
    Meeting,
    Notification,
    Platform,
    PlatformMembership,
    PublishedReport,
    Recheck,
    RecheckHost,
    Sanction,
    SanctionCase,
    SanctionEvent,
    SubmissionCycle,
    WebhookDelivery,
    WebhookEndpoint,
)
from cases.reporting.services.publishing import publish_report
from cases.sanctions.services import sanctions
from cases.sites import platform_site
from tests.conftest import SharedWorld
from tests.openapi import openapi_schema
from tests.test_api_support import unthrottled  # noqa: F401
from tests.test_consoles import PNG

pytestmark = pytest.mark.django_db

API_METHODS = ("get", "head", "post", "put", "patch", "delete")
ADMIN_METHODS = ("get", "head", "post")  # admin views branch on POST only; PUT/PATCH/DELETE are served as GET
NOT_FOUND = {"error": {"code": "not_found", "message": "Not found."}}
SECRET = "asecret"  # in every text of A's, so any of them showing up is caught

# A hand-made proposal names its content basis (issue 15); a skipped rung, its reason.
BASIS = {"content_category": "terrorism", "skip_reason": "Decided at a meeting."}


# --- platform A's world --------------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def a_world(make_case, platform_a, platform_b, analyst, supervisor, administrator, liaison_a, liaison_b,
            tmp_path_factory):
    """One of everything that belongs to platform A (Telegram), keyed by model; a little of B's for contrast.

    Built once for the tests of `TestPlatformAsWorld` (a `SharedWorld`), which only read it: 1.5 s of CPU less
    than building it for each. The settings it was built with (its own evidence folder; letters on, from the
    letter onwards) stay in force until the last of them, as they did when each test built its own."""
    with contextlib.ExitStack() as in_force:
        in_force.enter_context(override_settings(EVIDENCE_ROOT=tmp_path_factory.mktemp("a_world") / "evidence"))
        yield _build_a_world(in_force, make_case, platform_a, platform_b, analyst, supervisor, liaison_a)


def _build_a_world(in_force, make_case, platform_a, platform_b, analyst, supervisor, liaison_a):
    """`a_world`'s objects. `in_force` keeps the settings switched on here in force until the world is dropped."""
    endpoint = create_endpoint(actor=liaison_a, platform=platform_a, url="https://93.184.216.34/asecret-hook",
                               event_types=["case.submitted", "case.updated"], description="asecret endpoint")
    case = make_case(submit=True, url="https://t.me/asecret_channel/1", reasons="asecret reasons for the order")
    draft = make_case(url="https://t.me/asecret_draft/2")
    add_comment(case, actor=analyst, text="asecret internal note", visibility=Visibility.INTERNAL)
    add_comment(case, actor=liaison_a, text="asecret shared comment")
    evidence = upload_evidence(case=case, actor=analyst, file=SimpleUploadedFile("asecret_shot.png", PNG, "image/png"),
                               kind="screenshot", visibility=Visibility.SHARED, description="asecret evidence")
    meeting = Meeting.objects.create(title="asecret meeting with Telegram", held_on="2017-08-01",
                                     minutes="asecret minutes")
    meeting.platforms.set([platform_a])
    commitment = Commitment.objects.create(platform=platform_a, meeting=meeting, kind=CommitmentKind.LOCAL_MODERATORS,
                                           text="asecret commitment", owner_name="asecret owner")
    update = post_update(commitment, actor=liaison_a, note="asecret progress", status="in_progress")
    issued = sanctions.issue_sanction(
        sanctions.propose_sanction(platform=platform_a, level=1, actor=supervisor, reason="asecret reason",
        **BASIS),
        actor=supervisor, letter_reference="ASECRET/ST1/2017")
    proposal = sanctions.propose_sanction(platform=platform_a, level=2, actor=supervisor, reason="asecret next",
        **BASIS)
    token = create_token(actor=liaison_a, name="asecret token of A").token
    override = DeadlineOverride.objects.create(platform=platform_a, hours=12)
    fine_policy = FinePolicy.objects.first() or FinePolicy.objects.create(
        name="asecret tariff", effective_from=clock.now().date(), tariff_per_point=1000, points_cap=100)
    totp = TOTPDevice.objects.create(user=liaison_a, name="asecret phone", confirmed=False)
    static = StaticDevice.objects.create(user=liaison_a, name="asecret backup", confirmed=False)
    attempt = AccessAttempt.objects.create(username="liaison_a", ip_address="10.0.0.1", failures_since_start=1,
                                           user_agent="asecret agent", get_data="", post_data="", http_accept="",
                                           path_info="/platform/login/")
    access_log = AccessLog.objects.create(username="liaison_a", ip_address="10.0.0.1", user_agent="asecret agent",
                                          http_accept="", path_info="/platform/login/")
    failure_log = AccessFailureLog.objects.create(username="liaison_a", ip_address="10.0.0.1",
                                                  user_agent="asecret agent", http_accept="",
                                                  path_info="/platform/login/", locked_out=False)
    delivery = WebhookDelivery.objects.get(case=case)  # submitting the case queued it for A's endpoint
    b_case = make_case(submit=True, platform=platform_b, url="https://facebook.com/b_visible/1")
    # Re-upload matching: A's flyer on a second case of A's, matched and confirmed; a partner's hash list.
    from cases.evidence.services import hashing, hashlists
    from tests.reupload_images import encode, jpeg_q40, poster

    hashing.hash_evidence(evidence.pk)
    flyer = upload_evidence(case=case, actor=analyst, file=SimpleUploadedFile("asecret_flyer.png", encode(poster(8))),
                            kind="screenshot", visibility=Visibility.SHARED)
    repost_case = make_case(submit=True, url="https://t.me/asecret_repost/3")
    repost = upload_evidence(case=repost_case, actor=analyst, kind="screenshot", visibility=Visibility.SHARED,
                             file=SimpleUploadedFile("asecret_repost.jpg", jpeg_q40(poster(8))))
    hashing.hash_evidence(flyer.pk)
    match = hashing.hash_evidence(repost.pk).matches[0]
    hashing.decide_match(match, actor=analyst, decision="confirmed", note="asecret same flyer")
    hash_list, _skipped = hashlists.import_list(actor=analyst, lines=[f"{'ab' * 32},90\n"], name="asecret list",
                                                source="asecret partner", labels="asecret")
    recheck = Recheck.objects.create(  # a finished, shared re-check of A's case (issue 17)
        case=case, platform=platform_a, cycle=1, reason="on_demand", slot="asecret slot", vantage="direct",
        url=case.location_url, host="t.me", status="done", due_at=clock.now(), checked_at=clock.now(),
        verdict="live", finding="asecret finding", evidence=evidence)
    recheck_host = RecheckHost.objects.create(host="asecret.t.me")
    from cases.sanctions.services import letters

    in_force.enter_context(override_settings(PATUH={**settings.PATUH, "LETTERS": True}))
    letter = letters.produce(letters.prepare_sanction_letter(issued, actor=supervisor).pk)  # A's warning letter
    published = publish_report(actor=supervisor, first=clock.now().date(), last=clock.now().date())
    return {
        WebhookEndpoint: endpoint, WebhookDelivery: delivery,
        Recheck: recheck, RecheckHost: recheck_host,
        PublishedReport: published, Letter: letter, LetterTemplate: letter.template,
        Case: case, "draft": draft, CaseEvent: case.events.order_by("id").first(), Evidence: evidence,
        CustodyEvent: evidence.custody_events.first(), Meeting: meeting, Commitment: commitment,
        CommitmentUpdate: update, Sanction: issued, "proposal": proposal, Platform: platform_a, ApiToken: token,
        DeadlineOverride: override, DeadlinePolicy: DeadlinePolicy.objects.first(), FinePolicy: fine_policy,
        Notification: Notification.objects.filter(case=case).first(), get_user_model(): liaison_a,
        Group: Group.objects.get(name=roles.LIAISON), TOTPDevice: totp, StaticDevice: static,
        AccessAttempt: attempt, AccessLog: access_log, AccessFailureLog: failure_log, "b_case": b_case,
        "liaison_a": liaison_a, HashMatch: match, HashList: hash_list,
        "pdq": ImageHash.objects.get(evidence=flyer).pdq,
    }


def markers(world) -> list[str]:
    """Strings that identify A's objects: none may reach liaison B or the anonymous visitor."""
    return [
        SECRET, world[Case].reference, world["draft"].reference, world[Evidence].sha256, world[ApiToken].prefix,
        "Telegram", "t.me/", world["pdq"], "ab" * 32,
    ]


def snapshot(world) -> dict[str, list[dict]]:
    """Every field of every row that belongs to A (or that the probes could touch on A's behalf)."""
    a = world[Platform]
    user = world["liaison_a"]
    querysets = {
        "case": Case.objects.filter(platform=a),
        "event": CaseEvent.objects.filter(case__platform=a),
        "evidence": Evidence.objects.filter(case__platform=a),
        "custody": CustodyEvent.objects.filter(evidence__case__platform=a),
        "meeting": Meeting.objects.filter(platforms=a),
        "commitment": Commitment.objects.filter(platform=a),
        "update": CommitmentUpdate.objects.filter(commitment__platform=a),
        "sanction": Sanction.objects.filter(platform=a),
        "sanction_case": SanctionCase.objects.filter(sanction__platform=a),
        "notification": Notification.objects.all(),
        "platform": Platform.objects.filter(pk=a.pk),
        "membership": PlatformMembership.objects.filter(platform=a),
        "override": DeadlineOverride.objects.filter(platform=a),
        "token": ApiToken.objects.filter(user=user),
        "user": get_user_model().objects.filter(pk=user.pk),
        "devices": TOTPDevice.objects.filter(user=user),
        "static": StaticDevice.objects.filter(user=user),
        "policies": DeadlinePolicy.objects.all(),
        "fines": FinePolicy.objects.all(),
        "groups": Group.objects.all(),
        "axes": AccessAttempt.objects.filter(username="liaison_a"),
        "image_hashes": ImageHash.objects.all(),
        "matches": HashMatch.objects.all(),
        "hash_lists": HashList.objects.all(),
        "webhook_endpoints": WebhookEndpoint.objects.filter(platform=a),
        "webhook_deliveries": WebhookDelivery.objects.filter(platform=a),
        "rechecks": Recheck.objects.filter(platform=a),
        "letters": Letter.objects.filter(platform=a),
        "sanction_events": SanctionEvent.objects.filter(sanction__platform=a),
        "commitment_events": CommitmentEvent.objects.filter(commitment__platform=a),
        "letter_templates": LetterTemplate.objects.all(),
    }
    return {name: list(qs.order_by("pk").values()) for name, qs in querysets.items()}


def _diff(before: dict, after: dict) -> list[str]:
    return [f"{name}: {len(before[name])} rows before, {len(after[name])} after; rows differ"
            for name in before if before[name] != after[name]]


# --- what a path parameter means, per model --------------------------------------------------------------------

# (model of the view's queryset, path parameter) -> A's value. An operation whose parameter is missing here
# FAILS the probe: add the mapping (and the object to `a_world`) when you add the endpoint.
API_PARAMETERS = {
    (Case, "reference"): lambda w: [w[Case].reference, w["draft"].reference],
    (CaseEvent, "reference"): lambda w: [w[Case].reference, w["draft"].reference],
    (Evidence, "reference"): lambda w: [w[Case].reference],
    (Evidence, "id"): lambda w: [w[Evidence].pk],
    (Platform, "slug"): lambda w: [w[Platform].slug],
    (Meeting, "id"): lambda w: [w[Meeting].pk],
    (Commitment, "id"): lambda w: [w[Commitment].pk],
    (Sanction, "id"): lambda w: [w[Sanction].pk, w["proposal"].pk],
    (WebhookEndpoint, "id"): lambda w: [w[WebhookEndpoint].pk],
    (WebhookDelivery, "id"): lambda w: [w[WebhookDelivery].pk],
    (SubmissionCycle, "reference"): lambda w: [w[Case].reference, w["draft"].reference],
    (PublishedReport, "id"): lambda w: [w[PublishedReport].pk],
    (Letter, "id"): lambda w: [w[Letter].pk],
}

# Collections whose POST answers 200 with one result per item (bulk responses): for liaison B, every item that
# names one of A's objects must come back `not_found` (or `invalid`), never done.
BULK_RESULT_PATHS = {"/api/v1/cases/transitions/bulk/"}

# Query parameters that name an object: list endpoints are also asked for A's by filter.
API_QUERY_FILLERS = {
    "platform": lambda w: w[Platform].slug,
    "q": lambda w: w[Case].reference,
}

# How ModelAdmins name the object's id in their URLs (Django's user admin: `id`; django-otp's: `pk`).
OBJECT_ID_PARAMETERS = ("object_id", "id", "pk")

# Admin URL parameters other than the object id (which comes from the ModelAdmin's model).
ADMIN_PARAMETERS = {
    "action": lambda w, model: list(TRANSITIONS),
    "step": lambda w, model: ["cite", "issue", "comply", "lift", "withdraw"],
    "content_type_id": None,  # filled together with object_id, below
}

# Other project URLs (outside /api/ and the consoles): URL name -> {parameter: model}.
OTHER_URL_PARAMETERS = {
    "cases:evidence-download": {"pk": Evidence},
    "cases:letter-download": {"pk": Letter},
    "cases:transparency-report": {"pk": PublishedReport},
    "cases:transparency-csv": {"pk": PublishedReport},
    "cases:transparency-json": {"pk": PublishedReport},
}


class Unresolvable(Exception):
    """A path parameter the probe cannot point at one of A's objects."""


# --- the probe -------------------------------------------------------------------------------------------------


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    operations: int = 0
    admin_urls: int = 0
    other_urls: int = 0
    requests: int = 0

    def summary(self, who: str) -> str:
        return (f"{who}: {self.operations} API operations, {self.admin_urls} admin URL patterns, "
                f"{self.other_urls} other URLs probed with {self.requests} requests")


def api_schema() -> dict:
    return openapi_schema()


def _resolve_ref(schema: dict, node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def example_value(schema: dict, node: dict, name: str, world):
    """A valid-looking value for one schema node (A's slug for a platform)."""
    node = _resolve_ref(schema, node)
    if "allOf" in node:
        return example_value(schema, node["allOf"][0], name, world)
    if "oneOf" in node or "anyOf" in node:
        return example_value(schema, (node.get("oneOf") or node["anyOf"])[0], name, world)
    if name == "platform":
        return world[Platform].slug
    if node.get("enum"):
        return next((v for v in node["enum"] if v not in ("", None)), node["enum"][0])
    kind, fmt = node.get("type"), node.get("format")
    if kind == "object" or "properties" in node:
        return {prop: example_value(schema, sub, prop, world) for prop, sub in node.get("properties", {}).items()
                if prop in node.get("required", ()) or not sub.get("readOnly")}
    if kind == "array":
        return [example_value(schema, node.get("items", {}), name, world)]
    if kind == "integer":
        return max(1, node.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if fmt == "binary":
        return SimpleUploadedFile("probe.png", PNG, "image/png")
    if fmt == "date-time":
        return clock.now().isoformat()
    if fmt == "date":
        return "2026-01-01"
    if fmt == "uri":
        return "https://example.org/probe"
    return "probe note"


def request_bodies(schema: dict, operation: dict, world) -> list[tuple[str, object]]:
    """(content type, body) pairs: the declared body with every property filled, one per value of an enum
    property (e.g. each transition `action`), so each branch of a view reaches its object lookup."""
    content = (operation.get("requestBody") or {}).get("content") or {}
    if not content:
        return [("application/json", {})]
    media = "application/json" if "application/json" in content else next(iter(content))
    node = _resolve_ref(schema, content[media].get("schema", {}))
    base = example_value(schema, node, "", world)
    bodies = [base]
    if isinstance(base, dict):
        for prop, sub in node.get("properties", {}).items():
            sub = _resolve_ref(schema, sub)
            for value in (sub.get("enum") or [])[:12]:
                if value not in ("", None) and value != base.get(prop):
                    bodies.append({**base, prop: value})
    return [(media, body) for body in bodies]


def _send(client, method: str, path: str, *, media: str = "application/json", body=None, query=None):
    send = getattr(client, method)
    if method in ("get", "head"):
        return send(path, query or {})
    if media.startswith("multipart/"):
        data = dict(body or {})
        for key, value in data.items():  # a file can be read once
            if isinstance(value, SimpleUploadedFile):
                data[key] = SimpleUploadedFile(value.name, PNG, "image/png")
        return send(path, data) if method == "post" else send(path, data, format="multipart")
    if media == "application/x-www-form-urlencoded" and method == "post":
        return send(path, body or {})
    return send(path, body if body is not None else {}, format="json")


def _leaks(response, marks: list[str], sent: str) -> list[str]:
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    text = body.decode("utf-8", "replace")
    location = response.get("Location", "") or ""
    return [m for m in marks if m.lower() not in sent.lower() and (m.lower() in text.lower()
                                                                  or m.lower() in location.lower())]


def _fill_path(path: str, values: dict) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    return path


def _view_model(path_template: str, params: list[str]):
    """The model behind the view that serves this path (its queryset's model)."""
    try:
        match = resolve(_fill_path(path_template, dict.fromkeys(params, "0")))
    except Resolver404 as exc:
        raise Unresolvable(f"{path_template}: no URL pattern answers it") from exc
    view = getattr(match.func, "cls", None)
    queryset = getattr(view, "queryset", None)
    if queryset is None:
        raise Unresolvable(f"{path_template}: its view {view} has no `queryset`, so the probe cannot tell which "
                           f"model {params} name; give the view a `queryset = Model.objects.none()`")
    return queryset.model


def probe_api(client, world, report: Report, *, anonymous: bool, only=None):
    schema = api_schema()
    marks = markers(world)
    for path, item in schema["paths"].items():
        if only is not None and not only(path):
            continue
        declared = {m for m in item if m in API_METHODS}  # HEAD is not declared: 405 or as GET
        params = re.findall(r"{(\w+)}", path)
        values_per_param = {}
        try:
            model = _view_model(path, params) if params else None
            for name in params:
                fill = API_PARAMETERS.get((model, name))
                if fill is None:
                    raise Unresolvable(f"{path}: path parameter `{name}` of a {model.__name__} view has no mapping "
                                       f"to an object of platform A; add ({model.__name__}, {name!r}) to "
                                       f"API_PARAMETERS in tests/test_isolation_schema.py")
                values_per_param[name] = fill(world)
        except Unresolvable as exc:
            report.failures.append(f"UNRESOLVED {exc}")
            continue
        report.operations += len([m for m in item if m in API_METHODS])
        combos = [{}]
        for name, values in values_per_param.items():
            combos = [{**c, name: v} for c in combos for v in values]
        for combo in combos:
            url = _fill_path(path, combo)
            for method in API_METHODS:
                operation = item.get(method if method != "head" else "get") or item.get("post") or {}
                bodies = request_bodies(schema, operation, world) if method not in ("get", "head") else [(None, None)]
                queries = [{}]
                if method in ("get", "head") and not params:
                    queries += [{p["name"]: API_QUERY_FILLERS[p["name"]](world)}
                                for p in operation.get("parameters", [])
                                if p.get("in") == "query" and p["name"] in API_QUERY_FILLERS]
                for media, body in bodies:
                    for query in queries:
                        response = _send(client, method, url, media=media or "application/json", body=body,
                                         query=query)
                        report.requests += 1
                        where = f"{method.upper()} {url}{'?' + str(query) if query else ''} {body or ''}"
                        sent = f"{url} {query} {body}"
                        status = response.status_code
                        leaked = _leaks(response, marks, sent)
                        if leaked:
                            report.failures.append(f"LEAK {where}: {status} carries {leaked}")
                        if anonymous:
                            if status not in (401, 403, 404, 405):
                                report.failures.append(f"ANON {where}: {status}, expected 401/403/404/405")
                        elif params:
                            ok = {404} if method in declared else {404, 405}
                            if status not in ok:
                                report.failures.append(f"SCOPE {where}: {status}, expected 404 (never 403, "
                                                       f"never A's object)")
                            elif status == 404 and method != "head" and response.json() != NOT_FOUND:
                                report.failures.append(f"SHAPE {where}: a 404 that says more than not_found")
                        elif (status == 200 and url in BULK_RESULT_PATHS and method == "post"
                              and all(r["result"] in ("not_found", "invalid") for r in response.json()["results"])):
                            pass
                        elif status >= 500 or (status == 200 and method not in ("get", "head")):
                            report.failures.append(f"WRITE {where}: {status} on a collection as liaison B")


def _route(pattern) -> str:
    return str(pattern.pattern)


def _expand(route: str, values: dict[str, str]) -> str:
    """A URL pattern (path() or re_path()) with its parameters substituted."""
    for name, value in values.items():
        route = re.sub(rf"(?<!\?P)<(?:\w+:)?{name}>", str(value), route)
        route = re.sub(rf"\(\?P<{name}>[^)]*\)", str(value), route)
    return route.lstrip("^").rstrip("$")


def _params(route: str) -> list[str]:
    return re.findall(r"(?<!\?P)<(?:\w+:)?(\w+)>", route) + re.findall(r"\(\?P<(\w+)>", route)


def admin_probes(world):
    """(site, model or None, URL, addresses-an-A-object) for every admin URL pattern, parameters filled.

    Raises Unresolvable for a parameter the probe cannot fill.
    """
    for site in (admin.site, platform_site):
        root = reverse(f"{site.name}:index")
        # The ModelAdmins' URLs.
        for model, model_admin in site._registry.items():
            prefix = f"{root}{model._meta.app_label}/{model._meta.model_name}/"
            obj = world.get(model)
            for pattern in model_admin.get_urls():
                if not isinstance(pattern, URLPattern):
                    continue
                route, names = _route(pattern), _params(_route(pattern))
                options = [{}]
                for name in names:
                    if name in OBJECT_ID_PARAMETERS:
                        if obj is None:
                            raise Unresolvable(f"{site.name} registers {model._meta.label}, whose URL {route!r} "
                                               f"takes an object id; add an object of platform A for "
                                               f"{model.__name__} to `a_world` in tests/test_isolation_schema.py")
                        options = [{**o, name: obj.pk} for o in options]
                    elif ADMIN_PARAMETERS.get(name):
                        options = [{**o, name: v} for o in options for v in ADMIN_PARAMETERS[name](world, model)]
                    else:
                        raise Unresolvable(f"{site.name}: {model._meta.label} URL {route!r} has a parameter "
                                           f"`{name}` that ADMIN_PARAMETERS cannot fill")
                for values in options:
                    addresses_object = bool(set(OBJECT_ID_PARAMETERS) & set(names))
                    yield site, model, prefix + _expand(route, values), addresses_object, pattern
        # The site's own views.
        for pattern in site.get_urls():
            if isinstance(pattern, URLResolver):
                continue  # a ModelAdmin's URLs, above
            route, names = _route(pattern), _params(_route(pattern))
            if not names:
                yield site, None, root + _expand(route, {}), False, pattern
            elif set(names) == {"content_type_id", "object_id"}:
                for key, obj in world.items():
                    if isinstance(key, type) and obj is not None:
                        ct = ContentType.objects.get_for_model(key)
                        yield site, None, root + _expand(route, {"content_type_id": ct.pk, "object_id": obj.pk}), \
                            True, pattern
            elif names == ["app_label"]:
                for label in sorted({m._meta.app_label for m in site._registry}):
                    yield site, None, root + _expand(route, {"app_label": label}), False, pattern
            elif set(names) == {"queue_key", "case_id"}:  # My work: assigning one of A's cases from each queue
                from cases.cases.queues import QUEUES

                for queue in QUEUES:
                    yield site, None, root + _expand(route, {"queue_key": queue.key, "case_id": world[Case].pk}), \
                        True, pattern
            elif names == ["url"]:  # the catch-all: A's change URL without its slash
                case = world[Case]
                yield site, None, root + _expand(route, {"url": f"cases/case/{case.pk}/change"}), True, pattern
            else:
                raise Unresolvable(f"{site.name}: site URL {route!r} has parameters {names} the probe cannot fill")


def admin_post_bodies(world, url: str, model) -> list[dict]:
    """Valid-looking form posts: each transition's data, a comment, progress, a sanction step, a bulk action
    on A's row, a delete confirmation, a token."""
    obj = world.get(model)
    pk = getattr(obj, "pk", "")
    bodies = [{
        "note": "probe note", "text": "probe text", "reason": "lawful", "action_taken": "removed",
        "action_taken_at": clock.now().strftime("%Y-%m-%dT%H:%M"), "visibility": "shared",
        "status": "in_progress", "progress_percent": "50", "letter_reference": "PROBE/1", "virality": "low",
        "post": "yes", "name": "probe token", "_selected_action": [pk], "index": "0", "assignee": "",
    }]
    if url.endswith(f"/{model._meta.model_name}/") if model else False:
        # The changelist: every action the ModelAdmin offers, on A's row.
        request_actions = getattr(platform_site._registry.get(model) or admin.site._registry.get(model),
                                  "actions", None) or []
        for action in ["delete_selected", *[a if isinstance(a, str) else a.__name__ for a in request_actions]]:
            bodies.append({"action": action, "_selected_action": [pk], "index": "0", "post": "yes"})
    return bodies


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login/" in response.get("Location", "")


# Views anyone may load: the login pages (and the logout confirmation). They show a form, never data.
PUBLIC_ADMIN_VIEWS = {"login", "logout"}


def site_root(site) -> str:
    return reverse(f"{site.name}:index")


def probe_admin(client, world, report: Report, *, anonymous: bool, only=None):
    marks = markers(world)
    patterns = set()
    try:
        probes = list(admin_probes(world))
    except Unresolvable as exc:
        report.failures.append(f"UNRESOLVED {exc}")
        return
    for site, model, url, addresses_object, pattern in probes:
        if only is not None and not only(url):
            continue
        if pattern.name in ("logout",) and not anonymous:
            continue  # logging liaison B out is not a probe of A's data
        patterns.add((site.name, id(pattern), model))
        for method in ADMIN_METHODS:
            bodies = admin_post_bodies(world, url, model) if method == "post" else [None]
            for body in bodies:
                response = client.post(url, body) if method == "post" else getattr(client, method)(url)
                report.requests += 1
                where = f"{method.upper()} {url}"
                leaked = _leaks(response, marks, f"{url} {body}")
                location = response.get("Location", "") if response.status_code in (301, 302) else ""
                if not anonymous and location.startswith(site_root(site)):
                    # Django's `<id>/` → `<id>/change/` redirect, a form's redirect after POST: where it lands.
                    response = client.get(location)
                    report.requests += 1
                    where += f" → {location}"
                    leaked += _leaks(response, marks, f"{url} {body}")
                status = response.status_code
                if leaked:
                    report.failures.append(f"LEAK {where}: {status} carries {leaked}")
                if anonymous:
                    if not (_is_login_redirect(response) or status in (401, 403, 404)
                            or (pattern.name in PUBLIC_ADMIN_VIEWS and status in (200, 302))):
                        report.failures.append(f"ANON {where}: {status}, expected a redirect to the login page")
                elif addresses_object:
                    if status != 404:
                        report.failures.append(f"SCOPE {where}: {status}, expected 404 (never 403, never A's "
                                               f"object)")
                elif status >= 500:
                    report.failures.append(f"ERROR {where}: {status}")
    report.admin_urls += len(patterns)


def other_url_probes(world):
    """Project URLs outside /api/ and the consoles (evidence downloads), parameters filled."""
    resolver = get_resolver()
    for top in resolver.url_patterns:
        if not isinstance(top, URLResolver) or top.namespace in ("admin", "platform", "api"):
            continue
        for pattern in top.url_patterns:
            if not isinstance(pattern, URLPattern):
                continue
            name = f"{top.namespace}:{pattern.name}"
            fills = OTHER_URL_PARAMETERS.get(name)
            params = _params(_route(pattern))
            if params and (fills is None or set(fills) != set(params)):
                raise Unresolvable(f"URL {name} ({_route(pattern)!r}): add its parameters to OTHER_URL_PARAMETERS")
            values = {p: world[fills[p]].pk for p in params}
            yield reverse(name, kwargs=values), bool(params)


def probe_other(client, world, report: Report, *, anonymous: bool):
    marks = markers(world)
    try:
        probes = list(other_url_probes(world))
    except Unresolvable as exc:
        report.failures.append(f"UNRESOLVED {exc}")
        return
    for url, addresses_object in probes:
        report.other_urls += 1
        for method in API_METHODS:
            response = getattr(client, method)(url)
            report.requests += 1
            status = response.status_code
            where = f"{method.upper()} {url}"
            if _leaks(response, marks, url):
                report.failures.append(f"LEAK {where}: {status}")
            if anonymous:
                if not (_is_login_redirect(response) or status in (401, 403, 404, 405)):
                    report.failures.append(f"ANON {where}: {status}")
            elif addresses_object and status not in (404, 405):
                report.failures.append(f"SCOPE {where}: {status}, expected 404")


def run_probe(world, user, *, api=True, admin_=True, other=True, only_api=None, only_admin=None) -> Report:
    """Liaison B (or the anonymous visitor, user=None) against everything of A's. Returns what went wrong."""
    report = Report()
    before = snapshot(world)
    anonymous = user is None
    if api:
        api_client = APIClient()
        if not anonymous:
            api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_token(actor=user, name='probe').key}")
        probe_api(api_client, world, report, anonymous=anonymous, only=only_api)
    session = APIClient()
    if not anonymous:
        session.force_login(user)  # once: a probe that logged B out shows as 302s where 404s are expected
    if admin_:
        probe_admin(session, world, report, anonymous=anonymous, only=only_admin)
    if other:
        probe_other(session, world, report, anonymous=anonymous)
    report.failures += [f"CHANGED {d}" for d in _diff(before, snapshot(world))]
    return report


# --- the tests -------------------------------------------------------------------------------------------------


def _assert_clean(report: Report, who: str):
    summary = report.summary(who)
    print(f"\n[isolation] {summary}")
    assert not report.failures, summary + "\n" + "\n".join(report.failures[:60])
    assert report.operations >= 30 and report.requests >= 500, summary  # the enumeration found the API


class TestPlatformAsWorld(SharedWorld):
    """Every test here reads `a_world`, built once for all of them (tests/conftest.py, `SharedWorld`): each runs in
    its own savepoint, so what a probe or a test writes is gone before the next one snapshots A's rows again."""

    def test_liaison_b_cannot_reach_anything_of_platform_a(self, a_world, liaison_b):
        _assert_clean(run_probe(a_world, liaison_b), "liaison B")

    def test_the_anonymous_visitor_is_sent_away_everywhere(self, a_world):
        _assert_clean(run_probe(a_world, None), "anonymous")

    def test_liaison_a_can_see_what_the_probe_looks_for(self, a_world, liaison_a):
        """The control: the same markers do reach A's own liaison, so the probe would see a leak if there was one."""
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_token(actor=liaison_a, name='control').key}")
        body = client.get(f"/api/v1/cases/{a_world[Case].reference}/").content.decode()
        assert a_world[Case].reference in body and SECRET in body
        assert SECRET in client.get(f"/api/v1/commitments/{a_world[Commitment].pk}/").content.decode()
        client.force_login(liaison_a)
        page = client.get(f"/platform/cases/case/{a_world[Case].pk}/change/")
        assert page.status_code == 200 and a_world[Case].reference in page.content.decode()

    # --- the probe must catch an unscoped endpoint ---------------------------------------------------------------

    def test_the_probe_catches_an_unscoped_api_list(self, a_world, liaison_b, monkeypatch):
        from cases.cases.api.cases import CaseViewSet

        monkeypatch.setattr(CaseViewSet, "get_queryset", lambda self: Case.objects.all())
        report = run_probe(a_world, liaison_b, admin_=False, other=False, only_api=lambda p: p == "/api/v1/cases/")
        assert any(f.startswith("LEAK GET /api/v1/cases/") for f in report.failures), report.failures

    def test_the_probe_catches_an_unscoped_api_detail(self, a_world, liaison_b, monkeypatch):
        from cases.evidence.api.evidence import EvidenceViewSet

        monkeypatch.setattr(EvidenceViewSet, "get_queryset", lambda self: Evidence.objects.all())
        report = run_probe(a_world, liaison_b, admin_=False, other=False,
                           only_api=lambda p: p.startswith("/api/v1/evidence/"))
        pk = a_world[Evidence].pk
        assert f"SCOPE GET /api/v1/evidence/{pk}/ : 200, expected 404 (never 403, never A's object)" in report.failures
        assert any(f.startswith(f"LEAK GET /api/v1/evidence/{pk}/") for f in report.failures), report.failures

    def test_the_probe_catches_an_unscoped_console(self, a_world, liaison_b, monkeypatch):
        from cases.cases.admin.cases import PlatformCaseAdmin

        monkeypatch.setattr(PlatformCaseAdmin, "get_queryset", lambda self, request: Case.objects.all())
        report = run_probe(a_world, liaison_b, api=False, other=False,
                           only_admin=lambda u: u.startswith("/platform/cases/case/"))
        change = f"/platform/cases/case/{a_world[Case].pk}/change/"
        expected = f"SCOPE GET {change}: 200, expected 404 (never 403, never A's object)"
        assert expected in report.failures, report.failures
        assert any(f.startswith("LEAK GET /platform/cases/case/") for f in report.failures)

    def test_the_probe_fails_on_a_parameter_it_cannot_resolve(self, a_world, liaison_b, monkeypatch):
        """A new endpoint whose path parameter has no mapping to an object of A's fails loudly, not silently."""
        import tests.test_isolation_schema as module

        real = module.api_schema

        def with_a_new_operation():
            schema = real()
            schema["paths"]["/api/v1/commitments/{id}/widgets/{widget}/"] = {"get": {"responses": {}}}
            return schema

        monkeypatch.setattr(module, "api_schema", with_a_new_operation)
        report = run_probe(a_world, liaison_b, admin_=False, other=False,
                           only_api=lambda p: "widgets" in p)
        assert report.failures
        assert report.failures[0].startswith("UNRESOLVED /api/v1/commitments/{id}/widgets/{widget}/")
        assert "API_PARAMETERS" in report.failures[0] or "no URL pattern" in report.failures[0]

    def test_the_probe_fails_on_an_admin_model_without_an_object_of_a(self, a_world, liaison_b):
        world = {k: v for k, v in a_world.items() if k is not Meeting}
        with pytest.raises(Unresolvable, match="add an object of platform A for Meeting"):
            list(admin_probes(world))

    def test_the_snapshot_sees_a_change(self, a_world):
        before = snapshot(a_world)
        Case.objects.filter(pk=a_world[Case].pk).update(updated_at=clock.now() + timedelta(seconds=1))
        assert _diff(before, snapshot(a_world)) == ["case: 3 rows before, 3 after; rows differ"]
