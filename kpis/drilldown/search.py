"""Full-text search of the customers' comments, in French and in English.

On PostgreSQL a comment matches when its French or its English text-search vector matches the
words (web-search syntax: "quoted phrases", -excluded, or), so that "livraisons" finds
"livraison" and "delivered" finds "delivery"; a GIN index on the same expression
(surveys migration 0009) keeps it fast. SQLite has no text search: a plain case-insensitive
substring match of the words.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

CONFIGS = ("french", "english")


def comment_vector() -> SearchVector:
    """The indexed expression: the query must repeat it exactly for the index to serve."""
    return SearchVector("comment", config=CONFIGS[0]) + SearchVector("comment", config=CONFIGS[1])


def matching(queryset: QuerySet, words: str) -> QuerySet:
    words = words.strip()
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        query = SearchQuery(words, config=CONFIGS[0], search_type="websearch") | SearchQuery(
            words, config=CONFIGS[1], search_type="websearch"
        )
        return queryset.annotate(search=comment_vector()).filter(search=query)
    q = Q()
    for word in words.split():
        q &= Q(comment__icontains=word.strip('"'))
    return queryset.filter(q)
