from __future__ import annotations

import pickle

import pytest

from qwen_core.errors import ConfigurationError
from qwen_core.settings import REGION_ROOTS, QwenSettings, SecretStr, service_root


def test_key_from_argument_and_env() -> None:
    assert QwenSettings.resolve(api_key="sk-arg", env={}).api_key.get_secret_value() == "sk-arg"
    env = {"DASHSCOPE_API_KEY": "sk-env"}
    assert QwenSettings.resolve(env=env).api_key.get_secret_value() == "sk-env"
    assert QwenSettings.resolve(api_key="sk-arg", env=env).api_key.get_secret_value() == "sk-arg"


def test_missing_key_is_a_configuration_error_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="DASHSCOPE_API_KEY"):
        QwenSettings.resolve(env={})
    with pytest.raises(ConfigurationError):
        QwenSettings.resolve(api_key="   ", env={})


@pytest.mark.parametrize(
    ("region", "root"),
    [
        ("cn-beijing", "https://dashscope.aliyuncs.com"),
        ("ap-southeast-1", "https://dashscope-intl.aliyuncs.com"),
        ("us-east-1", "https://dashscope-us.aliyuncs.com"),
        ("cn-hongkong", "https://cn-hongkong.dashscope.aliyuncs.com"),
    ],
)
def test_regions(region: str, root: str) -> None:
    settings = QwenSettings.resolve(api_key="sk-x", region=region, env={})
    assert settings.native_base == root + "/api/v1"
    assert settings.compatible_base == root + "/compatible-mode/v1"
    assert REGION_ROOTS[region] == root


def test_default_region_is_beijing_and_unknown_region_fails() -> None:
    assert QwenSettings.resolve(api_key="sk-x", env={}).root_url == "https://dashscope.aliyuncs.com"
    with pytest.raises(ConfigurationError, match="unknown region"):
        QwenSettings.resolve(api_key="sk-x", region="mars-1", env={})


@pytest.mark.parametrize(
    "url",
    [
        "https://dashscope-intl.aliyuncs.com",
        "https://dashscope-intl.aliyuncs.com/",
        "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        "https://dashscope-intl.aliyuncs.com/compatible-mode/v1/",
        "https://dashscope-intl.aliyuncs.com/api/v1",
    ],
)
def test_base_url_forms_derive_both_protocol_bases(url: str) -> None:
    settings = QwenSettings.resolve(api_key="sk-x", base_url=url, region="cn-beijing", env={})
    assert settings.native_base == "https://dashscope-intl.aliyuncs.com/api/v1"
    assert settings.compatible_base == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    assert settings.compatible_api_base == "https://dashscope-intl.aliyuncs.com/compatible-api/v1"


def test_workspace_domain_and_env_base_url() -> None:
    ws = "https://llm-abc.ap-southeast-1.maas.aliyuncs.com/api/v1"
    assert service_root(ws) == "https://llm-abc.ap-southeast-1.maas.aliyuncs.com"
    env = {
        "DASHSCOPE_API_KEY": "sk-e", "DASHSCOPE_BASE_URL": "http://127.0.0.1:9/api/v1", "DASHSCOPE_WORKSPACE_ID": "w1"
    }
    settings = QwenSettings.resolve(env=env)
    assert settings.root_url == "http://127.0.0.1:9"
    assert settings.workspace == "w1"


def test_bad_urls_and_numbers() -> None:
    with pytest.raises(ConfigurationError):
        QwenSettings.resolve(api_key="sk-x", base_url="dashscope.aliyuncs.com", env={})
    with pytest.raises(ConfigurationError):
        QwenSettings.resolve(api_key="sk-x", timeout=0, env={})
    with pytest.raises(ConfigurationError):
        QwenSettings.resolve(api_key="sk-x", max_retries=-1, env={})


def test_two_settings_do_not_interfere() -> None:
    a = QwenSettings.resolve(api_key="sk-a", region="cn-beijing", env={})
    b = QwenSettings.resolve(api_key="sk-b", region="ap-southeast-1", env={})
    assert (a.api_key.get_secret_value(), a.root_url) == ("sk-a", "https://dashscope.aliyuncs.com")
    assert (b.api_key.get_secret_value(), b.root_url) == ("sk-b", "https://dashscope-intl.aliyuncs.com")


def test_secret_never_shown_but_pickled_with_its_value() -> None:
    settings = QwenSettings.resolve(api_key="sk-topsecret", env={})
    for text in (repr(settings), str(settings), repr(settings.api_key), str(settings.api_key), f"{settings}"):
        assert "sk-topsecret" not in text
    # the one rule for pickles (qwen_core.lazy_client): they carry the key, to reach your own workers
    restored = pickle.loads(pickle.dumps(settings.api_key))
    assert restored == settings.api_key and restored.get_secret_value() == "sk-topsecret"
    assert "sk-topsecret" not in repr(restored)
    assert SecretStr("a") == SecretStr("a") and SecretStr("a") != SecretStr("b")


def test_resolve_options_passes_network_fields_an_adapter_declares() -> None:
    from types import SimpleNamespace

    from qwen_core.settings import resolve_options

    base = {"api_key": SecretStr("sk-x"), "region": None, "base_url": None, "workspace": None, "max_retries": None}
    plain = resolve_options(SimpleNamespace(**base, timeout=None))  # type: ignore[arg-type]
    assert (plain.proxy, plain.verify, plain.total_timeout) == (None, True, None)
    declared = SimpleNamespace(**base, timeout=(2.0, 20.0), total_timeout=60.0, proxy="http://p.local:3128",
                               verify=False, cert=None, connect_timeout=None, http_client=None,
                               http_async_client=None)
    settings = resolve_options(declared)  # type: ignore[arg-type]
    assert (settings.connect_timeout, settings.timeout, settings.total_timeout) == (2.0, 20.0, 60.0)
    assert (settings.proxy, settings.verify) == ("http://p.local:3128", False)
