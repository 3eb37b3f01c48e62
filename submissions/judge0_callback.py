"""The endpoint Judge0 PUTs finished submissions to (optional; polling stays the fallback).

Judge0 callbacks carry no signature and no custom headers, so the URL carries one: a
per-run nonce and HMAC-SHA256(JUDGE0_CALLBACK_SECRET, nonce). The view only stores the
(always Base64) body in the cache under the submission token, together with the nonce;
the poller accepts it only for the run that handed out that nonce. Storing is
idempotent, so Judge0's retries after a client-side timeout do no harm.
"""

import hmac
import json

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .executors.judge0 import CALLBACK_CACHE_SECONDS, callback_cache_key, callback_signature

# stdout and stderr are each capped at max_file_size (<= 4096 KB; a run's whole results block
# is in stdout) before Base64 (x 4/3).
MAX_BODY_BYTES = 12 * 1024 * 1024


@csrf_exempt
@require_http_methods(["PUT", "POST"])
def judge0_callback(request: HttpRequest, nonce: str, signature: str) -> HttpResponse:
    secret = settings.JUDGE0_CALLBACK_SECRET
    if not secret or not hmac.compare_digest(callback_signature(nonce), signature):
        return JsonResponse({"error": "bad signature"}, status=403)
    if len(request.body) > MAX_BODY_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "malformed JSON"}, status=400)
    token = body.get("token") if isinstance(body, dict) else None
    status = body.get("status") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token or len(token) > 64 or not isinstance(status, dict):
        return JsonResponse({"error": "not a Judge0 submission"}, status=400)
    cache.set(callback_cache_key(token), {"nonce": nonce, "body": body}, CALLBACK_CACHE_SECONDS)
    return JsonResponse({"stored": token})
