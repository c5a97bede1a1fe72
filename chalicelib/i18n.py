"""Messages in the languages the apps speak: zh-CN (the default) and en.

Error messages are looked up by error code; a code without an entry falls back to a generic
message, so a new error never shows a blank text.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_LOCALE", "LOCALES", "message", "negotiate", "register"]

DEFAULT_LOCALE = "zh-CN"
LOCALES = ("zh-CN", "en")

_MESSAGES: dict[str, dict[str, str]] = {
    "bad_request": {"zh-CN": "请求无效", "en": "The request is invalid."},
    "malformed_json": {"zh-CN": "请求体不是有效的 JSON", "en": "The request body is not valid JSON."},
    "unsupported_media_type": {
        "zh-CN": "请求体必须是 application/json",
        "en": "The request body must be application/json.",
    },
    "validation_failed": {"zh-CN": "请求参数校验失败", "en": "Some fields are invalid."},
    "unauthorized": {"zh-CN": "未登录或登录已失效", "en": "Sign in again: the token is missing or invalid."},
    "token_expired": {"zh-CN": "登录已过期，请刷新", "en": "The access token has expired."},
    "invalid_credentials": {"zh-CN": "账号或密码错误", "en": "Wrong account or password."},
    "invalid_code": {"zh-CN": "验证码错误或已过期", "en": "The code is wrong or has expired."},
    "invalid_refresh_token": {
        "zh-CN": "登录凭证无效，请重新登录",
        "en": "The refresh token is invalid; sign in again.",
    },
    "invalid_id_token": {"zh-CN": "第三方登录凭证无效", "en": "The third-party id_token is invalid."},
    "wrong_password": {"zh-CN": "原密码错误", "en": "The current password is wrong."},
    "forbidden": {"zh-CN": "没有权限执行此操作", "en": "You are not allowed to do this."},
    "account_suspended": {"zh-CN": "账号已被停用", "en": "This account is suspended."},
    "not_found": {"zh-CN": "资源不存在", "en": "Not found."},
    "unknown_provider": {"zh-CN": "不支持的登录方式", "en": "This sign-in provider is not supported."},
    "conflict": {"zh-CN": "与当前状态冲突", "en": "This conflicts with the current state."},
    "too_many_addresses": {
        "zh-CN": "最多保存 {limit} 个地址",
        "en": "At most {limit} addresses can be saved.",
    },
    "already_registered": {"zh-CN": "该账号已注册", "en": "This account is already registered."},
    "rate_limited": {"zh-CN": "操作太频繁，请稍后再试", "en": "Too many requests; try again later."},
    "code_resend_too_soon": {
        "zh-CN": "验证码发送太频繁，请稍后再试",
        "en": "A code was sent moments ago; wait before asking again.",
    },
    "code_daily_limit": {
        "zh-CN": "今日验证码发送次数已达上限",
        "en": "Too many codes were sent to this address today.",
    },
    "too_many_attempts": {
        "zh-CN": "验证码尝试次数过多，请重新获取",
        "en": "Too many wrong tries; ask for a new code.",
    },
    "account_locked": {
        "zh-CN": "登录失败次数过多，请稍后再试",
        "en": "Too many failed sign-ins; try again later.",
    },
    "internal_error": {"zh-CN": "服务器内部错误", "en": "Something went wrong on our side."},
    "service_unavailable": {
        "zh-CN": "服务暂时繁忙，请稍后重试",
        "en": "The service is busy for a moment; try again shortly.",
    },
}


def register(messages: dict[str, dict[str, str]]) -> None:
    """Add the error messages of one area (each area keeps its texts beside its code)."""
    clashes = set(messages) & set(_MESSAGES)
    if clashes:
        raise ValueError(f"message codes defined twice: {sorted(clashes)}")
    _MESSAGES.update(messages)


def negotiate(accept_language: str | None) -> str:
    """Pick zh-CN or en from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if weight > 0:
            ranked.append((-weight, index, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh-CN"
    return DEFAULT_LOCALE


def message(code: str, locale: str, **params: Any) -> str:
    """The human text for ``code`` in ``locale``."""
    texts = _MESSAGES.get(code) or _MESSAGES["bad_request"]
    text = texts.get(locale) or texts[DEFAULT_LOCALE]
    return text.format(**params) if params else text
