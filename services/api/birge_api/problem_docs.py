"""The OpenAPI document describes the problem responses the API really sends.

FastAPI documents a 422 `HTTPValidationError` in `application/json` that this API never returns
(every error is an RFC 9457 problem), and it knows nothing of the errors raised before a route
runs: a body that cannot be parsed (400) or is too large (413). This module rewrites the
generated document once, so clients and the schema fuzzer see what is actually returned.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from birge_api.problems import PROBLEM_MEDIA_TYPE

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ProblemFieldError(BaseModel):
    """One reason the request was refused; import errors also name the row."""

    model_config = ConfigDict(extra="allow", title="ProblemFieldError")

    field: str | None = Field(default=None, description="The field, parameter or column")
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem; some types add members of their own (an import adds counts)."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="A stable URI naming the kind of error")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemFieldError] | None = None


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": dict(_PROBLEM_REF)}}


def _add_components(document: dict[str, Any]) -> None:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["Problem"] = schema


def _is_fastapi_validation(media: dict[str, Any]) -> bool:
    ref = str(media.get("schema", {}).get("$ref", ""))
    return ref.rsplit("/", 1)[-1] in _FASTAPI_VALIDATION_SCHEMAS


def _document_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "requestBody" in operation:
        responses.setdefault("400", {"description": "The body cannot be parsed"})
        responses.setdefault("413", {"description": "The body is larger than allowed"})
    if "requestBody" in operation or operation.get("parameters"):
        responses.setdefault("422", {"description": "Invalid input; `errors` names the fields"})
    if operation.get("security"):
        responses.setdefault("401", {"description": "No or invalid token"})
    for code, response in responses.items():
        if not code.isdigit() or not 400 <= int(code) < 500:
            continue
        content: dict[str, Any] = response.get("content", {})
        kept = {
            media_type: media
            for media_type, media in content.items()
            if not _is_fastapi_validation(media)
        }
        response["content"] = {**kept, **_problem_content()}


def _drop_unused_validation_schemas(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a generated OpenAPI document in place (and return it)."""
    _add_components(document)
    for item in document.get("paths", {}).values():
        for method in _METHODS:
            if method in item:
                _document_operation(item[method])
    _drop_unused_validation_schemas(document)
    return document


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            # `generate` caches its result on the app; the rewrite happens once, on that copy.
            app.openapi_schema = document_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
