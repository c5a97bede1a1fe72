"""Accounts: codes, registration, sign-in, tokens and password reset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.accounts.targets import Target, target_from
from chalicelib.handlers.views import auth_result, tokens_out
from chalicelib.lazy import lazy_import
from chalicelib.schemas.accounts import (
    AuthResult,
    CodeRequest,
    CodeSent,
    LoginRequest,
    OAuthRequest,
    RefreshRequest,
    RegisterRequest,
    ResetPasswordRequest,
    Tokens,
)
from chalicelib.web import ANY_ROLE, Api, Request

if TYPE_CHECKING:
    from chalicelib.accounts import codes, oidc, sessions, users
else:
    codes = lazy_import("chalicelib.accounts.codes")
    oidc = lazy_import("chalicelib.accounts.oidc")
    sessions = lazy_import("chalicelib.accounts.sessions")
    users = lazy_import("chalicelib.accounts.users")

api = Api("auth")


def _target_of(body: Any) -> Target:
    return target_from(phone=body.phone, email=body.email)


@api.post("/v1/auth/codes", body=CodeRequest, response=CodeSent, status=202, errors=(429,))
def request_code(request: Request[CodeRequest]) -> CodeSent:
    """Send a 6-digit code by SMS or e-mail (same answer whether or not an account exists)."""
    body = request.body
    target = target_from(
        **{"phone" if body.channel == "sms" else "email": body.target},
        field="target",
        new_account=body.purpose == "register",
    )
    expires_in = codes.issue_code(
        target,
        body.purpose,
        client_ip=request.client_ip,
        locale=request.locale,
        correlation_id=request.request_id,
    )
    return CodeSent(expires_in=expires_in)


@api.post("/v1/auth/register", body=RegisterRequest, response=AuthResult, status=201, errors=(409,))
def register(request: Request[RegisterRequest]) -> AuthResult:
    """Register a customer or worker with a phone or e-mail code."""
    body = request.body
    target = target_from(phone=body.phone, email=body.email, new_account=True)
    view, pair = users.register(target, body.code, body.password, body.name, body.role)
    return auth_result(view, pair)


@api.post("/v1/auth/login", body=LoginRequest, response=AuthResult, errors=(401, 403, 429))
def login(request: Request[LoginRequest]) -> AuthResult:
    """Sign in with a password or a code; the same 401 whether or not the account exists."""
    body = request.body
    target = _target_of(body)
    if body.password is not None:
        view, pair = users.login_with_password(target, body.password)
    else:
        view, pair = users.login_with_code(target, body.code or "")
    return auth_result(view, pair)


@api.post("/v1/auth/oauth/{provider}", body=OAuthRequest, response=AuthResult, errors=(401, 403, 404))
def oauth_login(request: Request[OAuthRequest]) -> AuthResult:
    """Sign in with a third-party OIDC id_token (providers are configured in settings)."""
    provider = request.path["provider"]
    claims = oidc.verify_id_token(provider, request.body.id_token)
    view, pair = users.login_with_oidc(provider, claims)
    return auth_result(view, pair)


@api.post("/v1/auth/refresh", body=RefreshRequest, response=Tokens, errors=(401,))
def refresh(request: Request[RefreshRequest]) -> Tokens:
    """Rotate the refresh token; replaying an old one signs the whole session out."""
    return tokens_out(sessions.rotate_session(request.body.refresh_token))


@api.post("/v1/auth/logout", roles=ANY_ROLE, status=204)
def logout(request: Request[Any]) -> None:
    """Sign this session out (its refresh token and access tokens stop working)."""
    sessions.revoke_session(request.principal.session_id)


@api.post("/v1/auth/password/reset", body=ResetPasswordRequest, status=204)
def reset_password(request: Request[ResetPasswordRequest]) -> None:
    """Set a new password with a reset code; all sessions are signed out."""
    body = request.body
    users.reset_password(_target_of(body), body.code, body.new_password)
