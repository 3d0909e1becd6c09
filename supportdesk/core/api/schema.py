"""OpenAPI post-processing: the schema says what the API really answers.

drf-standardized-errors lists, per field, the error codes of the serializer field. The services check more
(a customer that does not exist, a time out of range, a rule of SPEC.md) and report it on the same field with
the code ``invalid`` (``supportdesk.core.errors.ValidationFailed``); every field's error component therefore
lists ``invalid`` too.
"""
from __future__ import annotations

import re

SERVICE_CODE = "invalid"


def _add(prop: dict, *values: str) -> None:
    if not prop or "enum" not in prop:
        return
    prop["enum"] = sorted(set(prop["enum"]) | set(values))
    prop["description"] = "\n".join(f"* `{c}` - {c}" for c in prop["enum"])


def _index_as_pattern(prop: dict | None) -> None:
    """drf-standardized-errors names an item of a nested list ``field.INDEX.name``; the answer carries the item's
    number (``field.38.name``): say so with a pattern instead of an enum no answer can match."""
    if not prop or not any(".INDEX." in value for value in prop.get("enum") or []):
        return
    alternatives = "|".join(re.escape(value).replace("INDEX", "[0-9]+") for value in prop.pop("enum"))
    prop["pattern"] = f"^(?:{alternatives})$"
    prop["description"] = "The field, with the item's number in place of INDEX: " + ", ".join(
        f"`{value}`" for value in alternatives.split("|"))


def service_error_codes(result, generator, request, public):
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("ErrorComponent"):
            continue
        properties = component.get("properties", {})
        _add(properties.get("code"), SERVICE_CODE)
        # A nested list field (``many=True``) that is missing or not a list is reported on the field itself
        # (``results``), not on ``results.non_field_errors`` as drf-standardized-errors documents it.
        attrs = (properties.get("attr") or {}).get("enum") or []
        if len(attrs) == 1 and attrs[0].endswith(".non_field_errors") and ".INDEX." not in attrs[0]:
            _add(properties.get("attr"), attrs[0].removesuffix(".non_field_errors"))
            _add(properties.get("code"), "required", "not_a_list", "empty")
        _index_as_pattern(properties.get("attr"))
    # A rule checked by a service may name a related field (``tickets`` for a link to one ticket): any field,
    # code ``invalid``. The list of an operation's errors is therefore "any of" its components.
    schemas = result.get("components", {}).get("schemas", {})
    schemas["ServiceFieldErrorComponent"] = {
        "type": "object",
        "properties": {"attr": {"type": "string", "nullable": True}, "code": {"enum": [SERVICE_CODE], "type": "string"},
                       "detail": {"type": "string"}},
        "required": ["attr", "code", "detail"],
        "description": "A rule a service checked, on the field it names.",
    }
    for name, component in schemas.items():
        refs = component.get("oneOf")
        if name.endswith("Error") and refs and all(r.get("$ref", "").endswith("ErrorComponent") for r in refs):
            component["anyOf"] = [*component.pop("oneOf"), {"$ref": "#/components/schemas/ServiceFieldErrorComponent"}]
    return result


WRITES = ("post", "put", "patch", "delete")
CONFLICT = {
    "description": "Not allowed in the object's current state (the message names it), or it changed under you "
                   "(stale `version`), or a concurrent write won. Nothing was changed.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse409"}}},
}


def conflicts_documented(result, generator, request, public):
    """Every write may meet a state it is not allowed from (409): document it wherever a view did not."""
    if "ErrorResponse409" not in result.get("components", {}).get("schemas", {}):
        return result
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method in WRITES and "409" not in operation.get("responses", {}):
                operation["responses"]["409"] = CONFLICT
    return result
