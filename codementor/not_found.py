"""404 for URLs no pattern matches: JSON under /api/ (clients parse it), the HTML page elsewhere.

A malformed path parameter (e.g. a slug with characters the `slug` converter refuses) never
reaches a DRF view, so without this the API answered such requests with the HTML page.
"""

from django.http import JsonResponse
from django.views.defaults import page_not_found


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
