"""Network settings as :meth:`QwenSettings.resolve` resolves them: base URL forms, proxies, TLS trust, timeouts.

(Behaviour on the wire, through real proxies and TLS servers, is in ``tests/core/transport/test_proxy_and_tls.py``.)
"""

from __future__ import annotations

import copy
import pickle
import ssl
from pathlib import Path

import httpx
import pytest

from qwen_core.errors import ConfigurationError
from qwen_core.network import redact_url
from qwen_core.settings import QwenSettings

ROOT = "https://dashscope.aliyuncs.com"


def resolve(**kwargs: object) -> QwenSettings:
    env = kwargs.pop("env", {})
    return QwenSettings.resolve(api_key="sk-x", env=env, **kwargs)  # type: ignore[arg-type]


#: Every path a user may have copied into ``base_url`` along with the root (endpoint, protocol base, trailing /).
SERVICE_PATHS = (
    "", "/", "/compatible-mode/v1", "/compatible-mode/v1/", "/api/v1", "/compatible-api/v1",
    "/compatible-mode/v1/chat/completions", "/compatible-mode/v1/embeddings", "/compatible-api/v1/reranks",
    "/api/v1/services/aigc/text-generation/generation", "/api/v1/services/aigc/multimodal-generation/generation",
    "/api/v1/services/embeddings/text-embedding/text-embedding", "/api/v1/services/rerank/text-rerank/text-rerank",
)


@pytest.mark.parametrize(
    ("url", "root"),
    [
        *((ROOT + path, ROOT) for path in SERVICE_PATHS),
        ("http://127.0.0.1:8000/gateway/qwen/api/v1", "http://127.0.0.1:8000/gateway/qwen"),
        ("  https://gw.example.com/qwen  ", "https://gw.example.com/qwen"),
    ],
)
def test_every_base_url_form_maps_to_the_service_root(url: str, root: str) -> None:
    settings = resolve(base_url=url)
    assert settings.root_url == root
    assert settings.compatible_base == root + "/compatible-mode/v1"
    assert settings.native_base == root + "/api/v1"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://user:hunter2@gw.example.com/api/v1", "credentials"),
        ("https://token-hunter2@gw.example.com", "credentials"),
        ("https://gw.example.com/api/v1?key=hunter2", "query string"),
        ("https://gw.example.com/api/v1#hunter2", "query string"),
        ("https://gw.example.com/openai/v1/chat/completions", "not a DashScope URL form"),
        ("https://gw.example.com/v1", "not a DashScope URL form"),
        ("dashscope.aliyuncs.com", "http(s) URL"),
        ("ftp://dashscope.aliyuncs.com", "http(s) URL"),
        ("https://dashscope.aliyuncs.com:99999", "not a valid URL"),
    ],
)
def test_refused_base_urls_list_the_accepted_forms_and_never_show_secrets(url: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match="compatible-mode/v1") as caught:
        resolve(base_url=url)
    assert reason in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_base_url_from_the_environment_is_checked_alike() -> None:
    with pytest.raises(ConfigurationError, match="credentials"):
        resolve(env={"DASHSCOPE_BASE_URL": "https://u:hunter2@gw.example.com"})


def test_redact_url_masks_password_and_query_values() -> None:
    assert redact_url("https://u:p@h/x?a=1&b") == "https://u:***@h/x?a=***&b=***"
    assert redact_url("https://h/x") == "https://h/x"


# -- proxies -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
def test_proxy_from_the_environment_either_case(name: str) -> None:
    assert resolve(env={name: "http://proxy.local:3128"}).proxy == "http://proxy.local:3128"


def test_http_proxy_applies_to_http_roots_only() -> None:
    env = {"HTTP_PROXY": "http://proxy.local:3128"}
    assert resolve(env=env).proxy is None
    assert resolve(env=env, base_url="http://gw.example.com").proxy == "http://proxy.local:3128"


def test_lower_case_wins_and_explicit_wins_over_the_environment() -> None:
    env = {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"}
    assert resolve(env=env).proxy == "http://lower:2"
    assert resolve(env=env, proxy="http://explicit:3").proxy == "http://explicit:3"
    assert resolve(env=env, proxy="").proxy is None


@pytest.mark.parametrize(
    "no_proxy", ["*", "dashscope.aliyuncs.com", ".aliyuncs.com", "aliyuncs.com", "other, dashscope.aliyuncs.com:443"]
)
def test_no_proxy_exempts_the_service_host(no_proxy: str) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        assert resolve(env={"HTTPS_PROXY": "http://p:1", name: no_proxy}).proxy is None


def test_no_proxy_by_network_and_port_and_non_matches() -> None:
    env = {"HTTP_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8,gw:8080"}
    assert resolve(env=env, base_url="http://10.1.2.3:9").proxy is None
    assert resolve(env=env, base_url="http://gw:8080").proxy is None
    assert resolve(env=env, base_url="http://gw:9090").proxy == "http://p:1"
    assert resolve(env=env, base_url="http://notgw:8080").proxy == "http://p:1"
    assert resolve(env={"HTTPS_PROXY": "http://p:1", "NO_PROXY": "scope.aliyuncs.com"}).proxy == "http://p:1"


def test_proxy_credentials_become_a_secret_header() -> None:
    settings = resolve(proxy="http://bob:p%40ss@proxy.local:3128")
    assert settings.proxy == "http://proxy.local:3128"
    assert settings.proxy_auth is not None
    assert settings.proxy_auth.get_secret_value() == "Basic Ym9iOnBAc3M="  # bob:p@ss
    assert "p@ss" not in repr(settings) and "Ym9i" not in repr(settings)


def test_bare_host_port_proxy_and_refused_proxies() -> None:
    assert resolve(proxy="proxy.local:3128").proxy == "http://proxy.local:3128"
    with pytest.raises(ConfigurationError, match="SOCKS") as caught:
        resolve(env={"ALL_PROXY": "socks5://u:hunter2@proxy.local:1080"})
    assert "ALL_PROXY" in str(caught.value) and "hunter2" not in str(caught.value)
    with pytest.raises(ConfigurationError, match="not a valid proxy URL"):
        resolve(proxy="http://proxy.local:99999")


# -- TLS ---------------------------------------------------------------------------------------------


def test_verify_default_and_environment_order(tmp_path: Path) -> None:
    bundle, other, directory = tmp_path / "ca.pem", tmp_path / "other.pem", tmp_path / "certs"
    bundle.write_text("x")
    other.write_text("x")
    directory.mkdir()
    assert resolve().verify is True
    assert resolve(env={"SSL_CERT_DIR": str(directory)}).verify == str(directory)
    assert resolve(env={"REQUESTS_CA_BUNDLE": str(other), "SSL_CERT_DIR": str(directory)}).verify == str(other)
    env = {"SSL_CERT_FILE": str(bundle), "REQUESTS_CA_BUNDLE": str(other)}
    assert resolve(env=env).verify == str(bundle)
    assert resolve(env=env, verify=False).verify is False
    assert resolve(env=env, verify=str(other)).verify == str(other)
    assert resolve(env=env, verify=other).verify == str(other)


def test_missing_ca_paths_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SSL_CERT_FILE"):
        resolve(env={"SSL_CERT_FILE": str(tmp_path / "nope.pem")})
    with pytest.raises(ConfigurationError, match="verify"):
        resolve(verify=str(tmp_path / "nope.pem"))
    with pytest.raises(ConfigurationError, match="cert"):
        resolve(cert=(str(tmp_path / "nope.pem"), str(tmp_path / "nope.key")))


def test_cert_forms(tmp_path: Path) -> None:
    pem, key = tmp_path / "c.pem", tmp_path / "c.key"
    pem.write_text("x")
    key.write_text("x")
    assert resolve(cert=str(pem)).cert == (str(pem), None)
    assert resolve(cert=(str(pem), str(key))).cert == (str(pem), str(key))


# -- timeouts ------------------------------------------------------------------------------------------


def test_timeout_number_pair_and_total() -> None:
    settings = resolve()
    assert (settings.connect_timeout, settings.timeout, settings.total_timeout) == (10.0, 120.0, None)
    settings = resolve(timeout=(3, 30), total_timeout=90)
    assert (settings.connect_timeout, settings.timeout, settings.total_timeout) == (3.0, 30.0, 90.0)
    settings = resolve(timeout=httpx.Timeout(5.0, connect=2.0))
    assert (settings.connect_timeout, settings.timeout) == (2.0, 5.0)
    assert resolve(timeout=5).connect_timeout == 5.0  # connecting never waits longer than reading


@pytest.mark.parametrize(
    "kwargs",
    [{"timeout": 0}, {"timeout": -1}, {"timeout": float("inf")}, {"timeout": "5"}, {"timeout": (1, 2, 3)},
     {"total_timeout": 0}, {"connect_timeout": True}, {"timeout": (1, 2), "connect_timeout": 3}],
)
def test_bad_timeouts(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        resolve(**kwargs)


# -- a user's own httpx client -------------------------------------------------------------------------


def test_own_http_clients_are_kept_and_exclude_our_network_options() -> None:
    with httpx.Client() as client:
        settings = resolve(http_client=client, env={"HTTPS_PROXY": "http://p:1"})
        assert settings.http_client is client
        with pytest.raises(ConfigurationError, match="configure them on the httpx client"):
            resolve(http_client=client, verify=False)
        with pytest.raises(ConfigurationError, match=r"httpx\.AsyncClient"):
            resolve(http_async_client=client)
    with pytest.raises(ConfigurationError, match=r"httpx\.Client"):
        resolve(http_client=object())


def test_copy_and_deepcopy_share_contexts_and_clients_pickle_refuses_them() -> None:
    context = ssl.create_default_context()
    with httpx.Client() as client:
        for settings in (resolve(verify=context), resolve(http_client=client)):
            assert copy.copy(settings) is settings
            assert copy.deepcopy({"s": settings})["s"] is settings
            with pytest.raises(TypeError, match="cannot cross a process boundary"):
                pickle.dumps(settings)
