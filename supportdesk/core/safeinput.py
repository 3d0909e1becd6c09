"""Input PostgreSQL cannot store is bad input (400), never a server error.

* JSON bodies: a lone surrogate (``"\\udfff"``) has no UTF-8 form; a body nested deeper than the parser can
  follow is refused too. ``StrictJSONParser`` refuses both with 400; ``LenientJSONParser`` (for batches such as
  Alertmanager's, where one bad alert must not cost the good ones) replaces lone surrogates with U+FFFD.
* Paths and query strings: a NUL character (``%00``) is refused by ``RejectNulMiddleware`` with 400.
"""
from __future__ import annotations

import codecs
import re

from django.http import HttpResponseBadRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A decoded body holds no surrogate (strict codecs refuse them), so a parsed string can hold one only through a JSON
# escape \uD800-\uDFFF. A body without such an escape is not walked: 10,000 samples are 50,000 strings.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        return bool(LONE_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


def without_lone_surrogates(value):
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_lone_surrogates(v) for v in value]
    return value


class StrictJSONParser(JSONParser):
    """JSON that can be stored as it is, or a 400 that says why."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            # DRF's JSONParser.parse, keeping the text to look for escapes in.
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        if not SURROGATE_ESCAPE.search(text):
            return data
        try:
            return self.check(data)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None

    def check(self, data):
        if has_lone_surrogate(data):
            raise exceptions.ParseError("JSON parse error - the body holds a lone surrogate (not valid Unicode text).")
        return data


class LenientJSONParser(StrictJSONParser):
    """As strict, but lone surrogates become U+FFFD so that one bad item of a batch costs nothing else."""

    def check(self, data):
        return without_lone_surrogates(data)


class RejectNulMiddleware:
    """A NUL in the path or the query string is bad input: 400 (JSON under ``/api/``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"type": "client_error", "errors": [
                    {"code": "parse_error", "detail": "The path or query holds a NUL character.", "attr": None}]},
                    status=400)
            return HttpResponseBadRequest("NUL character in the request.")
        return self.get_response(request)
