"""Text that cannot be stored or hashed: one check for every edge that takes text from outside.

JSON may spell a lone UTF-16 surrogate (`"\\ud800"`); Python decodes it into a `str` that UTF-8 cannot encode,
so the audit chain's hash, PostgreSQL and the JSON renderer all fail on it. JSON may also spell a NUL
(`"\\u0000"`), which PostgreSQL cannot store in text (and which failed a query before any validation ran: a
category with a NUL was looked up). Nothing else produces a surrogate (form, multipart and query-string bytes are
decoded from UTF-8 with replacement), so the JSON parser refuses both (cases.api.parsers), naming the field, and
bulk intake judges them per item (cases.api.serializers.CaseInputSerializer).
"""

from django.utils.translation import gettext_lazy as _

UNENCODABLE_MESSAGE = _("Remove the invalid character (a lone UTF-16 surrogate such as \\ud800) from this text.")
NUL_MESSAGE = _("Remove the NUL character (\\x00) from this text.")  # the same words as cases.cases.services.cases


def is_unencodable(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def problem(text: str):
    """Why `text` cannot be taken (a lazy message), or None."""
    if "\x00" in text:
        return NUL_MESSAGE
    if is_unencodable(text):
        return UNENCODABLE_MESSAGE
    return None


def printable(text: str) -> str:
    """`text` with anything UTF-8 cannot encode written as an escape (for echoing a bad name back)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def walk(data, *, max_depth: int, skip: frozenset = frozenset()):
    """(too_deep, {path: message} of strings that cannot be taken) of parsed JSON, iteratively (no recursion to
    exhaust).

    A path is the dotted way to the string (`items.3.reasons`; a key that is itself bad is named escaped).
    Paths in `skip` (top-level keys) are measured for depth but not judged for text: their owner judges
    them item by item.
    """
    bad: dict[str, str] = {}
    stack = [(data, 1, "", False)]
    while stack:
        value, depth, path, skipped = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                return True, bad
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in items:
                name = str(key)
                child_path = f"{path}.{name}" if path else name
                child_skipped = skipped or (not path and name in skip)
                if isinstance(key, str) and not child_skipped and (why := problem(key)):
                    bad[printable(child_path).replace("\x00", "\\x00")] = str(why)
                    continue
                stack.append((child, depth + 1, child_path, child_skipped))
        elif isinstance(value, str) and not skipped and (why := problem(value)):
            bad[printable(path) or "non_field_errors"] = str(why)
    return False, bad
