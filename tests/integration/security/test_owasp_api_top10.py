"""OWASP API Security Top 10 (2023): each risk named, with the tests that cover it.

:data:`COVERAGE` maps every risk to test functions (``module::function``); the tests here check
that the map names all ten risks and that each test it names exists, so the map cannot rot when
a test is renamed. API7 (SSRF) is covered here: no code of the app opens a URL that a client
chose (the outbound HTTP clients are listed, each with where its URL comes from).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

COVERAGE: dict[str, list[str]] = {
    "API1:2023 Broken Object Level Authorization": [
        "tests.integration.security.test_idor_sweep::test_every_id_route_is_listed",
        "tests.integration.security.test_idor_sweep::test_no_one_reaches_a_resource_they_do_not_own",
        "tests.integration.security.test_idor_sweep::test_the_owners_reach_their_resources",
        "tests.integration.test_order_chat::test_nobody_else_learns_the_order_exists",
    ],
    "API2:2023 Broken Authentication": [
        "tests.integration.security.test_jwt_table::test_a_forged_or_stale_token_is_refused",
        "tests.integration.security.test_jwt_table::test_a_token_expires_by_the_platform_clock",
        "tests.integration.security.test_jwt_table::test_a_signed_out_session_is_refused",
        "tests.integration.security.test_jwt_table::test_a_suspended_account_loses_its_tokens_and_cannot_sign_in",
        "tests.integration.security.test_rate_limits::test_a_day_of_code_guessing_gets_at_most_fifty_guesses",
        "tests.integration.security.test_rate_limits::test_a_code_is_void_after_its_tries",
        "tests.integration.security.test_rate_limits::test_sign_in_locks_after_five_failures",
        "tests.integration.test_login::test_wrong_password_and_unknown_account_answer_alike",
        "tests.integration.test_login::test_admin_cannot_self_register",
    ],
    "API3:2023 Broken Object Property Level Authorization": [
        "tests.integration.security.test_mass_assignment::test_every_request_body_forbids_unknown_fields",
        "tests.integration.security.test_mass_assignment::test_no_customer_or_worker_route_takes_a_privileged_field",
        "tests.integration.security.test_mass_assignment::test_a_patch_or_put_refuses_privileged_fields",
        "tests.integration.security.test_pii_scan::test_a_run_leaves_no_full_pii_in_logs_answers_or_events",
        "tests.integration.test_http_edge::test_logs_never_show_phone_code_password_or_token",
    ],
    "API4:2023 Unrestricted Resource Consumption": [
        "tests.integration.security.test_rate_limits::test_booking_attempts_are_limited_per_customer",
        "tests.integration.security.test_rate_limits::test_withdrawal_requests_are_limited_per_worker",
        "tests.integration.test_codes::test_ten_codes_a_day_per_target",
        "tests.integration.test_profile::test_address_cap",
        "tests.integration.test_http_edge::test_deeply_nested_json_is_400_not_a_crash",
    ],
    "API5:2023 Broken Function Level Authorization": [
        "tests.integration.test_admin_roles::test_wrong_roles_are_403_on_every_staff_route",
        "tests.integration.test_admin_roles::test_support_is_refused_settings_money_and_staff_changes",
        "tests.integration.test_http_edge::test_wrong_role_is_403",
        "tests.integration.security.test_idor_sweep::test_no_one_reaches_a_resource_they_do_not_own",
    ],
    "API6:2023 Unrestricted Access to Sensitive Business Flows": [
        "tests.integration.test_orders::test_at_most_three_unpaid_orders",
        "tests.integration.test_payouts_withdrawals::test_no_account_hold_and_daily_cap",
        "tests.integration.security.test_rate_limits::test_booking_attempts_are_limited_per_customer",
        "tests.integration.security.test_rate_limits::test_withdrawal_requests_are_limited_per_worker",
    ],
    "API7:2023 Server Side Request Forgery": [
        "tests.integration.security.test_owasp_api_top10::test_no_outbound_url_comes_from_a_client",
    ],
    "API8:2023 Security Misconfiguration": [
        "tests.integration.test_http_edge::test_malformed_json_is_400",
        "tests.integration.test_http_edge::test_path_ids_that_cannot_be_ids_are_404",
        "tests.integration.test_http_edge::test_no_token_is_401",
        "tests.integration.security.test_owasp_api_top10::test_every_answer_says_nosniff_and_an_error_reveals_nothing",
    ],
    "API9:2023 Improper Inventory Management": [
        "tests.integration.test_http_edge::test_openapi_documents_every_route_with_the_error_shape",
        "tests.integration.security.test_idor_sweep::test_every_id_route_is_listed",
        "tests.integration.test_staff_writes_audited::test_every_staff_write_has_a_scenario",
    ],
    "API10:2023 Unsafe Consumption of APIs": [
        "tests.integration.test_payments_webhooks::test_a_bad_signature_is_refused_and_changes_nothing",
        "tests.integration.test_payments_webhooks::test_the_signature_window_is_five_minutes_either_way",
        "tests.integration.test_payments_webhooks::test_a_malformed_event_with_a_good_signature_is_refused",
        "tests.integration.test_payments_webhooks::test_duplicate_and_replayed_deliveries_are_processed_once",
    ],
}

# Modules that open outbound HTTP connections themselves, and where their URLs come from.
OUTBOUND = {
    "chalicelib/payments/local_provider.py": "the local stage's own stand-in of Stripe (fixed loopback URL)",
    "chalicelib/accounts/oidc.py": "the JWKS URI of a configured provider (settings), never the request",
}
_HTTP_MODULES = {"requests", "httpx", "urllib.request", "http.client", "aiohttp", "urllib3"}


def test_all_ten_risks_are_named() -> None:
    assert len(COVERAGE) == 10
    assert [name.split(":")[0] for name in COVERAGE] == [f"API{n}" for n in range(1, 11)]


def test_every_named_test_exists() -> None:
    missing = []
    for tests in COVERAGE.values():
        assert tests
        for ref in tests:
            module, _, function = ref.partition("::")
            if not callable(getattr(importlib.import_module(module), function, None)):
                missing.append(ref)
    assert not missing, missing


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "jwt":
                names |= {f"jwt.{alias.name}" for alias in node.names}
    return names


def test_no_outbound_url_comes_from_a_client() -> None:
    """Only the listed modules open URLs (SDK clients of AWS and Stripe use fixed endpoints)."""
    opening = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        names = _imports(path)
        if names & _HTTP_MODULES or "jwt.PyJWKClient" in names:
            opening.add(str(path.relative_to(ROOT)))
    assert opening == set(OUTBOUND)


def test_every_answer_says_nosniff_and_an_error_reveals_nothing(http: object) -> None:
    from tests.integration.conftest import Http

    assert isinstance(http, Http)
    for method, path in [
        ("GET", "/v1/health"),
        ("GET", "/v1/me"),
        ("GET", "/v1/orders/ord_x"),
        ("POST", "/v1/auth/login"),
    ]:
        response = http.call(method, path, "{not json" if method == "POST" else None)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        text = response.body.decode() if isinstance(response.body, bytes) else str(response.body)
        assert "Traceback" not in text and "botocore" not in text
