"""OpenAPI post-processing: document the error answers every endpoint can give.

Views document their success bodies; the shared exception handler (codementor/api_errors.py)
and DRF's authentication, throttling and validation add 400/401/403/404/429 everywhere.
Listing them once here keeps the published schema honest for clients and for schemathesis.
"""

ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` (and a `code` for domain errors), or field name -> list of messages.",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "additionalProperties": True,
}

ERRORS = {
    "400": "Invalid input.",
    "401": "No or invalid credentials.",
    "403": "Authenticated but not allowed.",
    "404": "Not found, or not yours.",
    "429": "Throttled or over a quota; see Retry-After.",
}


def document_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            takes_input = "requestBody" in operation or any(
                p.get("in") == "query" for p in operation.get("parameters", [])
            )
            for status, description in ERRORS.items():
                if status == "400" and not takes_input:
                    continue
                # Path parameters may name nothing; page numbers past the end are 404 too.
                pages = any(p.get("name") == "page" for p in operation.get("parameters", []))
                if status == "404" and "{" not in path and not pages:
                    continue
                operation["responses"].setdefault(status, {"description": description, "content": body})
    return result
