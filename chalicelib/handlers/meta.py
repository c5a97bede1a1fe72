"""Meta: health and the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from chalicelib.basemodel import Model
from chalicelib.web import Api, Reply, Request

api = Api("meta")


class Health(Model):
    status: Literal["ok"] = "ok"


class OpenApiDocument(Model):
    """The OpenAPI 3.1 document of this API."""


@api.get("/v1/health", response=Health)
def health(request: Request[Any]) -> Health:
    """Liveness: the function answers."""
    return Health()


@api.get("/v1/openapi.json", response=OpenApiDocument)
def openapi(request: Request[Any]) -> Reply:
    """The OpenAPI 3.1 document, generated from the routes and their pydantic models."""
    from chalicelib.web.openapi import document

    return Reply(body=document(), status=200, headers={"Cache-Control": "public, max-age=300"})
