"""Message templates: rendering by locale and registration by other domains."""

from __future__ import annotations

import pytest

from chalicelib.notifications.templates import register, render


def test_render_falls_back_to_the_default_locale() -> None:
    register({"unit_hello": {"zh-CN": ("你好", "你好 {name}"), "en": ("Hi", "Hi {name}")}})
    assert render("unit_hello", "en", name="Li").body == "Hi Li"
    assert render("unit_hello", "fr", name="Li").body == "你好 Li"


def test_register_refuses_a_template_without_the_default_locale() -> None:
    with pytest.raises(ValueError, match="zh-CN"):
        register({"unit_english_only": {"en": ("Hi", "Hi")}})


def test_register_refuses_to_redefine_a_template() -> None:
    register({"unit_once": {"zh-CN": ("一", "一")}})
    register({"unit_once": {"zh-CN": ("一", "一")}})  # the same texts again: a re-import
    with pytest.raises(ValueError, match="already registered"):
        register({"unit_once": {"zh-CN": ("二", "二")}})
