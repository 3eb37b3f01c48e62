"""JSON request parser that treats absurdly nested documents as bad input.

Python's json module raises RecursionError (not ValueError) on a body like "[[[[...]]]]"
nested ~1,000 deep; DRF's JSONParser lets that escape as a 500. Any such body is a 400.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.")
