"""Message templates in zh-CN and en, keyed by template name.

The account and worker-review templates live here; other domains keep theirs next to their code
(e.g. ``chalicelib.orders.messages``) and add them with :func:`register` when imported, so a
module that sends a message has always registered its templates first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.i18n import DEFAULT_LOCALE

__all__ = ["Rendered", "register", "render"]


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "verification_code": {
        "zh-CN": ("家政验证码", "【家政】您的验证码是 {code}，{minutes} 分钟内有效，请勿告诉他人。"),
        "en": ("Your Jiazheng code", "[Jiazheng] Your code is {code}. It expires in {minutes} minutes."),
    },
    "already_registered": {
        "zh-CN": ("家政账号提醒", "【家政】该号码已注册家政账号，请直接登录；如忘记密码可通过验证码重置。"),
        "en": (
            "Your Jiazheng account",
            "[Jiazheng] You already have an account. Sign in, or reset your password with a code.",
        ),
    },
    "password_changed": {
        "zh-CN": (
            "家政密码已修改",
            "【家政】您的登录密码已修改，其他设备已退出登录。如非本人操作请联系客服。",
        ),
        "en": (
            "Your Jiazheng password changed",
            "[Jiazheng] Your password was changed and other devices were signed out. "
            "If this was not you, contact support.",
        ),
    },
    "worker_approved": {
        "zh-CN": (
            "家政服务人员认证已通过",
            "【家政】{name}，您的服务人员认证已通过，现在可以在平台接单了。",
        ),
        "en": (
            "Your Jiazheng worker profile is approved",
            "[Jiazheng] {name}, your worker profile is approved: you can now take orders.",
        ),
    },
    "worker_rejected": {
        "zh-CN": (
            "家政服务人员认证未通过",
            "【家政】{name}，您的服务人员认证未通过，原因：{reason}。请修改资料后重新提交。",
        ),
        "en": (
            "Your Jiazheng worker profile needs changes",
            "[Jiazheng] {name}, your worker profile was not approved: {reason}. Update it and submit again.",
        ),
    },
    "worker_suspended": {
        "zh-CN": (
            "家政服务人员资格已暂停",
            "【家政】{name}，您的接单资格已暂停，原因：{reason}。如有疑问请联系客服。",
        ),
        "en": (
            "Your Jiazheng worker profile is suspended",
            "[Jiazheng] {name}, you can no longer take orders: {reason}. Contact support with questions.",
        ),
    },
    "worker_reinstated": {
        "zh-CN": (
            "家政服务人员资格已恢复",
            "【家政】{name}，您的接单资格已恢复，可以继续在平台接单。",
        ),
        "en": (
            "Your Jiazheng worker profile is reinstated",
            "[Jiazheng] {name}, you can take orders again.",
        ),
    },
}


def register(templates: dict[str, dict[str, tuple[str, str]]]) -> None:
    """Add templates (name -> locale -> (subject, body)); every one needs the default locale."""
    for name, texts in templates.items():
        if DEFAULT_LOCALE not in texts:
            raise ValueError(f"template {name!r} has no {DEFAULT_LOCALE} text")
        if name in _TEMPLATES and _TEMPLATES[name] != texts:
            raise ValueError(f"template {name!r} is already registered with other texts")
        _TEMPLATES[name] = texts


def render(template: str, locale: str, **params: Any) -> Rendered:
    """The subject and body of ``template`` in ``locale`` (zh-CN when unknown)."""
    texts = _TEMPLATES[template]
    subject, body = texts.get(locale) or texts[DEFAULT_LOCALE]
    return Rendered(subject=subject.format(**params), body=body.format(**params))
