import pytest

from cases.cases.locations import normalize_location, normalize_url


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://www.facebook.com/page/posts/1/", "https://m.facebook.com/page/posts/1"),
        ("https://twitter.com/Someone/status/5?s=20", "https://x.com/someone/status/5"),
        ("https://youtu.be/abcDEF12345?si=xyz", "https://www.youtube.com/watch?v=abcDEF12345"),
        ("https://example.org/a?b=2&a=1&utm_campaign=x", "https://example.org/a?a=1&b=2"),
        ("example.org/path#fragment", "https://example.org/path"),
    ],
)
def test_it_normalizes_spellings_of_the_same_item(a, b):
    assert normalize_url(a) == normalize_url(b)


def test_it_keeps_case_where_it_matters():
    # YouTube video ids are case-sensitive; two ids differing in case are two videos.
    assert normalize_url("https://youtube.com/watch?v=abc") != normalize_url("https://youtube.com/watch?v=ABC")


def test_it_prefers_url_then_native_id_then_handle():
    assert normalize_location(url="t.me/x", handle="y", native_id="z").startswith("url:")
    assert normalize_location(handle="@Y", native_id="123") == "id:123"
    assert normalize_location(handle="@Y") == "handle:y"
    assert normalize_location() == ""
