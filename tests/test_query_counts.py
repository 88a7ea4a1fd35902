"""Every benchmarked page (bench/run.py) runs a fixed number of queries, however many cases there are.

Each test loads the page with N cases, then with 3N, and asserts the same number of queries both times, within
a bound (`django_assert_max_num_queries`). No timings here: bench/run.py measures those at scale.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases.core.choices import Category
from cases.models import Case
from tests.test_api_support import bearer_client

N = 4


def _grow(make_case, platforms, n: int) -> None:
    for i in range(n):
        make_case(platform=platforms[i % len(platforms)], submit=True,
                  category=(Category.HOAX, Category.GAMBLING, Category.TERRORISM)[i % 3])


def _count(get) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = get()
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return len(ctx.captured_queries)


def _constant(get, make_case, platforms, bound, django_assert_max_num_queries) -> None:
    _grow(make_case, platforms, N)
    get()  # first request: session and per-process caches settle
    small = _count(get)
    _grow(make_case, platforms, 2 * N)
    with django_assert_max_num_queries(bound):
        large = _count(get)
    assert small == large, f"{small} queries with {N} cases, {large} with {3 * N}"


def _console(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


MINISTRY_LISTS = [
    "/admin/cases/case/",
    "/admin/cases/case/?platform={platform}&status=submitted&deadline_state=on_time",
    "/admin/cases/case/?q=example_channel",
]


@pytest.mark.parametrize("path", MINISTRY_LISTS, ids=["default", "filtered", "searched"])
def test_ministry_changelist(supervisor, make_case, platform_a, platform_b, path, django_assert_max_num_queries):
    client = _console(supervisor)
    url = path.format(platform=platform_a.slug)
    _constant(lambda: client.get(url), make_case, [platform_a, platform_b], 14, django_assert_max_num_queries)


def test_platform_inbox(liaison_a, make_case, platform_a, platform_b, django_assert_max_num_queries):
    client = _console(liaison_a)
    _constant(lambda: client.get("/platform/cases/case/?awaiting=true"), make_case, [platform_a, platform_b], 14,
              django_assert_max_num_queries)


def test_ministry_case_page(supervisor, make_case, platform_a, platform_b, django_assert_max_num_queries):
    client = _console(supervisor)
    case = make_case(platform=platform_a, submit=True)
    # 19: the page now also reads the submission cycles, the re-checks and the still-live flags (issues 14, 17)
    _constant(lambda: client.get(f"/admin/cases/case/{case.pk}/change/"), make_case, [platform_a, platform_b], 19,
              django_assert_max_num_queries)


@pytest.mark.parametrize("persona", ["analyst", "liaison_a"])
def test_api_case_list(request, persona, make_case, platform_a, platform_b, django_assert_max_num_queries):
    client = bearer_client(request.getfixturevalue(persona))
    _constant(lambda: client.get("/api/v1/cases/"), make_case, [platform_a, platform_b], 5,
              django_assert_max_num_queries)


def test_api_case_detail(analyst, make_case, platform_a, platform_b, django_assert_max_num_queries):
    client = bearer_client(analyst)
    case = make_case(platform=platform_a, submit=True)
    _constant(lambda: client.get(f"/api/v1/cases/{case.reference}/"), make_case, [platform_a, platform_b], 5,
              django_assert_max_num_queries)
    assert Case.objects.count() == 3 * N + 1
