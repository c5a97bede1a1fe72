"""The HTTP edge: route registration, request parsing, errors and the OpenAPI document."""

from chalicelib.web.routing import ANY_ROLE, Api, Reply, Request, all_operations

__all__ = ["ANY_ROLE", "Api", "Reply", "Request", "all_operations"]
