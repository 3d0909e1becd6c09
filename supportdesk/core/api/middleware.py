"""Under ``/api/`` a client always gets the API's JSON error body, never an HTML page or a traceback.

DRF views already answer this way; this covers what happens outside them: a path no route matches
(Django's 404 page) and an exception that escapes a view (Django's 500 page).
"""
from __future__ import annotations

import logging

from django.http import JsonResponse

log = logging.getLogger("django.request")

API_PREFIX = "/api/"


def error_body(status: int) -> dict:
    if status == 404:
        return {"type": "client_error", "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}]}
    if status == 405:
        return {"type": "client_error",
                "errors": [{"code": "method_not_allowed", "detail": "Method not allowed.", "attr": None}]}
    if status >= 500:
        return {"type": "server_error", "errors": [{"code": "error", "detail": "Server Error (500)", "attr": None}]}
    return {"type": "client_error", "errors": [{"code": "error", "detail": f"HTTP {status}", "attr": None}]}


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
            and not request.path.startswith("/api/docs/")
        ):
            return JsonResponse(error_body(response.status_code), status=response.status_code)
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith(API_PREFIX):
            return None
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        if isinstance(exception, Http404):
            return JsonResponse(error_body(404), status=404)
        if isinstance(exception, PermissionDenied):
            return JsonResponse({"type": "client_error", "errors": [
                {"code": "permission_denied", "detail": "You do not have permission to perform this action.",
                 "attr": None}]}, status=403)
        log.error("Internal Server Error: %s", request.path, exc_info=exception)
        return JsonResponse(error_body(500), status=500)
