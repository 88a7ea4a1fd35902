"""Re-checks fetch pages under a takedown order: their authors are the adversary. A page may be built to hang or
crash the interpreter that reads it; it must still get a verdict (review r16 of issue 17).

The slow cases run in a child process with a time limit: Python's regular expressions hold the GIL and cannot
be interrupted, so a catastrophic pattern would otherwise hang the test run itself. The limit is generous (the
fixed interpreters answer in milliseconds; the old patterns needed minutes for 50 KB).
"""

import subprocess
import sys

import pytest

from cases.evidence.rechecks import interpreters
from cases.evidence.rechecks.interpreters import Fetch, Hop

HOSTILE = {
    # <meta property="og:title" repeated without a closing '>': the og: reader backtracked cubically.
    "facebook": ("https://www.facebook.com/some.page/posts/1", '<meta property="og:title" ' * 6000),
    # "tgme_page" without a title: the Telegram reader looks for og:title the same way.
    "telegram": ("https://t.me/somechannel", "tgme_page " + '<meta property="og:title" ' * 6000),
    # A channel page whose subscriber block never closes.
    "telegram_extra": ("https://t.me/somechannel",
                       'tgme_page_title tgme_page_extra ' + 'class="tgme_page_extra" ' * 80000),
    # <script id=... without a closing '>', and a data script that never ends.
    "tiktok": ("https://www.tiktok.com/@someone/video/1", "<script " * 100000),
    "tiktok_open": ("https://www.tiktok.com/@someone/video/1",
                    '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">' * 20000),
    # Meta tags made of one long attribute name each.
    "facebook_names": ("https://www.facebook.com/some.page/posts/1", ("<meta " + "a" * 1990 + ">") * 1000),
}

CHILD = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")
import django
django.setup()
from cases.evidence.rechecks import interpreters
from cases.evidence.rechecks.interpreters import Fetch, Hop
url, body = sys.argv[1], sys.stdin.read().encode()
hop = Hop(url=url, request_headers={}, status=200, headers={"Content-Type": "text/html"}, body=body)
reading = interpreters.for_location(url).interpret(Fetch(url, [hop]))
print(reading.verdict)
"""


@pytest.mark.slow  # a fresh interpreter (Django set up anew) per page
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_page_built_to_hang_the_interpreter_gets_a_verdict_in_time(name):
    url, body = HOSTILE[name]
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, url], input=body, capture_output=True, text=True,
                              timeout=30, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the {name} interpreter was still reading a {len(body)} byte page after 30 s")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() in ("live", "gone", "restricted", "unknown")


def tiktok_page(data: str) -> bytes:
    return f'<html><script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">{data}</script>'.encode()


@pytest.mark.parametrize("data", [
    '{"__DEFAULT_SCOPE__": {"webapp.video-detail": [1, 2]}}',  # not an object: .get() raised AttributeError
    '{"__DEFAULT_SCOPE__": {"webapp.video-detail": {"statusCode": 1e999}}}',  # infinity: int() raised OverflowError
    "[" * 100000 + "]" * 100000,  # nesting deeper than the parser's recursion limit
])
def test_a_page_built_to_crash_the_interpreter_reads_as_unknown(data):
    url = "https://www.tiktok.com/@someone/video/1"
    hop = Hop(url=url, request_headers={}, status=200, headers={}, body=tiktok_page(data))
    reading = interpreters.for_location(url).interpret(Fetch(url, [hop]))
    assert reading.verdict == "unknown"


def test_the_og_reader_still_reads_attributes_in_either_order():
    assert interpreters._meta('<meta content="Pos &amp; x" property="og:title">', "og:title") == "Pos &amp; x"
    assert interpreters._meta('<meta  property="og:title"\n content="A">', "og:title") == "A"
    assert interpreters._meta('<meta name="x" content="B">', "og:title") == ""
