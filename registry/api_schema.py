"""Choice sets the API schema names once (drf-spectacular ``ENUM_NAME_OVERRIDES``)."""

from __future__ import annotations


def country_choices() -> list[tuple[str, str]]:
    """Every country the registry accepts (Kosovo, XK, included), as (code, name)."""
    from django_countries import countries

    return [(code, str(name)) for code, name in countries]


#: The refusals any operation may answer, each a JSON object with a ``detail`` message and,
#: for invalid input, the bad fields by name (``registry.api_errors``).
ERROR_RESPONSES = {
    "400": "Invalid input (or a request over a size limit): each bad field is named.",
    "401": "No valid credentials (a missing, expired or revoked token).",
    "403": "Your role may not do this, or may see the object but not do this to it.",
    "404": "No such object, or not one you may see.",
    "429": "Too many requests, or too many failed sign-ins: try again later.",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
    "description": "A refusal: `detail`, and for invalid input each bad field with its errors.",
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: document the refusals of every operation, with
    their body, so that every answer of the API is described by the schema."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                documented = responses.get(code, {})
                responses[code] = {
                    "description": documented.get("description") or description,
                    "content": documented.get("content") or error,
                }
    return result
