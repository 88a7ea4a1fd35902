"""Substring search over a case's location (the consoles' search box and the API's `q`): one rule.

`icontains` on PostgreSQL is `UPPER(col) LIKE UPPER('%term%')`, answered by the GIN trigram indexes of
migration 0006. A trigram index answers a pattern by intersecting the row lists of all its trigrams, and in
URLs most trigrams are shared by millions of rows (`https://`, `t.me/`, `facebook.com/`): at ten million
cases a search for `example/load/4242` read the lists of `EXA`, `XAM`, ... and took 630 ms.

So, on PostgreSQL, a long term is matched in two steps that give exactly the same rows:
- the index is asked only for the term's last `TAIL` characters (the end of a URL is usually its most
  distinctive part: the post id, the channel name): a few rare trigrams, a few hundred candidate rows;
- the whole term is then checked on those candidates only, through an expression no index answers
  (`col || ''`), so the planner cannot fold it back into the index scan.
Every row containing the term contains its tail, so nothing is lost: 9 ms instead of 630 ms.
"""

from functools import reduce
from operator import and_, or_

from django.db import connection
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Concat
from django.db.models.lookups import IContains
from django.utils.text import smart_split, unescape_string_literal

TAIL = 6


def contains_q(field: str, term: str) -> Q:
    """Rows whose `field` contains `term`, case-insensitively (see the module docstring)."""
    if connection.vendor != "postgresql" or len(term) <= TAIL:
        return Q(**{f"{field}__icontains": term})
    whole = Concat(F(field), Value(""), output_field=CharField())
    return Q(**{f"{field}__icontains": term[-TAIL:]}) & Q(IContains(whole, term))


def location_search_q(search: str, fields) -> Q:
    """The admin's rule for a search box: every word must be found in one of `fields`."""
    words = []
    for bit in smart_split(search):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            words.append(bit)
    if not words:
        return Q()
    return reduce(and_, (reduce(or_, (contains_q(f, w) for f in fields)) for w in words))
