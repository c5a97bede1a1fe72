"""Which failures are an outage of a dependency (503 with Retry-After) and which are bugs (500)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from pynamodb.exceptions import PutError

from chalicelib.web.routing import dependency_unavailable


def _client_error(code: str, status: int = 400, **more: Any) -> ClientError:
    return ClientError(
        {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}, **more}, "Op"
    )


@pytest.mark.parametrize(
    "error",
    [
        _client_error("ProvisionedThroughputExceededException"),
        _client_error("ThrottlingException"),
        _client_error("InternalServerError", 500),
        _client_error("Whatever", 503),
        _client_error(
            "TransactionCanceledException",
            CancellationReasons=[{"Code": "None"}, {"Code": "ThrottlingError"}],
        ),
        ReadTimeoutError(endpoint_url="https://dynamodb"),
        EndpointConnectionError(endpoint_url="https://sqs"),
        PutError("wrapped", cause=_client_error("ProvisionedThroughputExceededException")),
    ],
)
def test_an_outage_is_unavailable(error: Exception) -> None:
    assert dependency_unavailable(error)


def test_a_chained_outage_is_unavailable() -> None:
    try:
        try:
            raise ReadTimeoutError(endpoint_url="https://events")
        except ReadTimeoutError as inner:
            raise RuntimeError("publishing failed") from inner
    except RuntimeError as outer:
        assert dependency_unavailable(outer)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        KeyError("x"),
        _client_error("ConditionalCheckFailedException"),
        _client_error("ValidationException"),
        _client_error(
            "TransactionCanceledException", CancellationReasons=[{"Code": "ConditionalCheckFailed"}]
        ),
        PutError("wrapped", cause=_client_error("ValidationException")),
    ],
)
def test_a_bug_or_a_refusal_is_not(error: Exception) -> None:
    assert not dependency_unavailable(error)
