"""Pydantic models of the HTTP API, one module per area (they generate the OpenAPI document)."""
