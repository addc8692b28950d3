"""The API's JSON parser: DRF's, with a body nested too deep refused as one more bad body.

Python's decoder recurses once per level of nesting: a body of 1,000 nested lists exhausted
the interpreter's stack and the request answered 500.
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the body is nested too deep.")) from None
