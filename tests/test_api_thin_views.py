"""Issue 19: API input goes through serializers, so the views stay thin.

1. No code under cases/api/ or a domain's api/ (cases/<domain>/api/) reads the request body (`request.data`,
   `request.POST`, `request.FILES`) other than by handing `request.data` to a serializer's `data=` (the one exception,
   the idempotency key's hash of the body as sent, is named below), and a view that does so also calls `is_valid` on it.
2. Every write operation of the schema validates its body with the very class the schema documents as its
   request body (no schema-only twin), and an operation documented without a body reads none.
3. What the serializers judge answers the one error shape, and what they leave to the services still reaches
   them: the decisions (permissions, lifecycle refusals) keep their codes.
"""

import ast
import inspect
import textwrap
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.serializers import BaseSerializer

from cases.models import Case
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401

API = Path(__file__).resolve().parent.parent / "cases" / "api"
BODY = {"data", "POST", "FILES"}
# (file, function): reads of the body that are not input. The Idempotency-Key's request hash covers the body
# exactly as sent (a retry must be the same request), before any serializer has seen it.
NOT_INPUT = {("idempotency.py", "request_hash")}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _is_body_read(node) -> bool:
    """`request.data` / `self.request.data` (and POST, FILES)."""
    if not (isinstance(node, ast.Attribute) and node.attr in BODY):
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id == "request") or (
        isinstance(owner, ast.Attribute) and owner.attr == "request")


def _callee(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")


def body_reads(tree):
    """(function, node, call): each body read, its enclosing function, and the call it is `data=` of (or None)."""
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(tree):
        if not _is_body_read(node):
            continue
        function, up = None, parents.get(node)
        while up is not None and function is None:
            if isinstance(up, ast.FunctionDef | ast.AsyncFunctionDef):
                function = up
            up = parents.get(up)
        parent = parents.get(node)
        call = parents.get(parent) if isinstance(parent, ast.keyword) and parent.arg == "data" and \
            node.attr == "data" else None
        yield function, node, call if isinstance(call, ast.Call) else None


def _module(path: Path):
    name = ".".join(path.relative_to(API.parent.parent).with_suffix("").parts)
    return __import__(name, fromlist=["*"])


def _serializer_named(name: str, function: ast.FunctionDef, module) -> bool:
    """A serializer class of the module, or the enclosing function's own parameter (a view factory's)."""
    if name in {a.arg for a in function.args.args + function.args.kwonlyargs}:
        return True
    target = getattr(module, name, None)
    return isinstance(target, type) and issubclass(target, BaseSerializer)


def _outer_function(function, tree):
    """The function a nested function is defined in (a factory's parameters are its own), else itself."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node is not function and function in ast.walk(node):
            return node
    return function


def test_views_read_the_body_only_through_a_serializer():
    problems, seen = [], 0
    for path in sorted([*API.rglob("*.py"), *API.parent.glob("*/api/*.py")]):  # and each domain's api/
        tree = ast.parse(path.read_text(), filename=str(path))
        module = None
        for function, node, call in body_reads(tree):
            where = f"{path.relative_to(API.parent.parent)}:{node.lineno}"
            name = function.name if function else "<module>"
            if (path.name, name) in NOT_INPUT:
                continue
            seen += 1
            if call is None:
                problems.append(f"{where} in {name}() reads request.{node.attr} other than as a serializer's data=")
                continue
            module = module or _module(path)
            if not _serializer_named(_callee(call), _outer_function(function, tree), module):
                problems.append(f"{where}: request.data goes to {_callee(call)}(), which is not a serializer")
            elif not any(isinstance(n, ast.Attribute) and n.attr == "is_valid" for n in ast.walk(function)):
                problems.append(f"{where} in {name}(): the serializer is never asked is_valid()")
    assert not problems, "\n".join(problems)
    assert seen >= 12, seen  # every write view was found (the rule cannot pass by finding none)


@pytest.mark.parametrize("source, expected", [
    ("def v(self, request):\n    data = request.data\n", "reads request.data"),
    ("def v(self, request):\n    x = self.request.data.get('a')\n", "reads request.data"),
    ("def v(self, request):\n    f = dict(data=request.POST)\n", "reads request.POST"),
    ("def v(self, request):\n    s = Helper(data=request.data)\n", "not a serializer"),
    ("def v(self, request):\n    s = CaseCreateSerializer(data=request.data)\n", "never asked is_valid"),
    ("def v(self, request):\n    s = CaseCreateSerializer(data=request.data)\n    s.is_valid(raise_exception=True)\n",
     None),
])
def test_the_rule_catches_hand_parsing(source, expected):
    """The checker itself: a view that hand-parses the body, or validates it with something else, is named."""
    from cases.api import serializers

    tree = ast.parse(source)
    found = []
    for function, node, call in body_reads(tree):
        if call is None:
            found.append(f"reads request.{node.attr}")
        elif not _serializer_named(_callee(call), function, serializers):
            found.append("not a serializer")
        elif not any(isinstance(n, ast.Attribute) and n.attr == "is_valid" for n in ast.walk(function)):
            found.append("never asked is_valid")
    assert (found[0] if found else None) == expected


def write_operations():
    """(operation, the class its schema documents as the body or None, the classes its handler validates with)."""
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    for path, _regex, method, view in generator._get_paths_and_endpoints():
        if method in WRITE_METHODS:
            view.schema.path, view.schema.method = path, method
            yield f"{method} {path}", _documented_body(view), _validated_with(view, method)


def _documented_body(view):
    documented = view.schema.get_request_serializer()
    if isinstance(documented, dict):  # {"multipart/form-data": X}
        documented = set(documented.values())
        assert len(documented) == 1, documented
        documented = documented.pop()
    if isinstance(documented, BaseSerializer):
        documented = type(documented)
    return documented


def _validated_with(view, method: str) -> set:
    """The classes the operation's handler hands request.data to (closure variables resolved)."""
    action = getattr(view, "action", None)
    handler = inspect.unwrap(getattr(view, action) if action else getattr(view, method.lower()))
    tree = ast.parse(textwrap.dedent(inspect.getsource(handler)))
    names = inspect.getclosurevars(handler)
    scope = {**names.globals, **names.nonlocals}
    found = set()
    for _function, node, call in body_reads(tree):
        assert call is not None, f"{handler.__qualname__} reads request.{node.attr} by hand"
        found.add(scope.get(_callee(call), _callee(call)))
    return found


def test_each_write_operation_validates_with_the_serializer_its_schema_documents():
    operations = list(write_operations())
    assert len(operations) >= 15, operations
    problems = [f"{name}: the schema documents {documented}, the view validates with {validated}"
                for name, documented, validated in operations
                if validated != (set() if documented is None else {documented})]
    assert not problems, "\n".join(problems)


# --- 3. what each side judges, through the API ------------------------------------------------------------

ORDER = {"platform": "telegram", "category": "gambling", "location_url": "https://t.me/thin/1",
         "legal_basis": "UU ITE Art. 27(2)", "reasons": "Online gambling."}


@pytest.mark.django_db
def test_an_order_missing_its_required_fields_is_a_400_naming_them(analyst, platform_a):
    """Was a server error: `{"platform": "telegram"}` reached create_case() without its required arguments."""
    response = bearer_client(analyst).post("/api/v1/cases/", {"platform": "telegram"}, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"category", "legal_basis", "reasons"}
    assert not Case.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body, fields", [
    ({**ORDER, "reasons": 5}, {"reasons"}),  # the serializer: a string
    ({**ORDER, "colour": "red"}, {"colour"}),  # the serializer: known fields only
    ({**ORDER, "submit": "yes"}, {"submit"}),  # the serializer: JSON true or false
    ({**ORDER, "platform": "no-such-platform"}, {"platform"}),  # the serializer: a platform you may see
    ({**ORDER, "category": "nope", "legal_basis": ""}, {"category", "legal_basis"}),  # the service: the values
])
def test_an_orders_fields_are_judged_by_type_here_and_by_value_in_the_service(analyst, platform_a, body, fields):
    response = bearer_client(analyst).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["fields"]) == fields


@pytest.mark.django_db
def test_a_body_that_is_not_an_object_is_one_sentence(analyst, platform_a, make_case):
    case = make_case(submit=True)
    for path in ("/api/v1/cases/", f"/api/v1/cases/{case.reference}/transitions/"):
        for text in ("null", "[]", '"x"', "1"):
            response = bearer_client(analyst).post(path, text, content_type="application/json")
            assert response.status_code == 400, (path, text, response.content)
            assert response.json()["error"] == {"code": "invalid", "message": "Send a JSON object."}


@pytest.mark.django_db
def test_a_transitions_data_is_the_workflows_to_judge_after_its_decision(liaison_a, analyst, make_case):
    """The lifecycle decides first: a ministry analyst may not object (409 forbidden) whatever the data; for
    the platform, the same bad data is a 400 naming the field."""
    case = make_case(submit=True)
    path = f"/api/v1/cases/{case.reference}/transitions/"
    body = {"action": "object", "reason": "lawful", "text": 123}
    refused = bearer_client(analyst).post(path, body, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "forbidden"
    invalid = bearer_client(liaison_a).post(path, body, format="json")
    assert invalid.status_code == 400 and set(invalid.json()["error"]["fields"]) == {"text"}
    unknown = bearer_client(liaison_a).post(path, {"action": "fly", "colour": 1}, format="json")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown"
    reserved = bearer_client(liaison_a).post(path, {"action": "acknowledge", "actor": 1}, format="json")
    assert reserved.status_code == 400 and set(reserved.json()["error"]["fields"]) == {"actor"}
