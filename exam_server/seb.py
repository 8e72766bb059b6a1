"""Safe Exam Browser (SEB) key checks.

SEB proves which configuration and which browser build it runs in two ways:

* request headers: `X-SafeExamBrowser-ConfigKeyHash` = hex(SHA-256(absolute URL + Config Key))
  and `X-SafeExamBrowser-RequestHash` = the same with the Browser Exam Key;
* SEB 3.x on macOS/iOS sends no headers; its JavaScript API exposes
  `SafeExamBrowser.security.configKey` / `browserExamKey`, already hashed with the page URL,
  and the page sends them to us (on load, on socket connect and with every save).

A sitting that requires SEB keeps lists of allowed Config Keys and Browser Exam Keys (the
Browser Exam Key differs per SEB build and platform). Either proof is enough when every key
it carries matches; a request with neither proof fails. The URL must be the one the browser
saw, so behind a reverse proxy the app trusts X-Forwarded-* from `proxy_count` proxies
(werkzeug's ProxyFix, installed by the app factory).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from werkzeug.datastructures import Headers

CONFIG_KEY_HEADER = "X-SafeExamBrowser-ConfigKeyHash"
REQUEST_HASH_HEADER = "X-SafeExamBrowser-RequestHash"


@dataclass(frozen=True)
class SebPolicy:
    """What a sitting demands. Keys are the raw 64-hex Config Keys / Browser Exam Keys."""

    required: bool = False
    config_keys: tuple[str, ...] = ()
    browser_exam_keys: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, required: bool, config_keys: Iterable[str] = (),
                      browser_exam_keys: Iterable[str] = ()) -> SebPolicy:
        def clean(keys: Iterable[str]) -> tuple[str, ...]:
            return tuple(k.strip().lower() for k in keys if k and k.strip())

        return cls(bool(required), clean(config_keys), clean(browser_exam_keys))


@dataclass(frozen=True)
class SebResult:
    ok: bool
    # Message key (seb.*) saying what was wrong; empty when ok.
    reason: str = ""
    # How the client proved itself: "headers", "js", "" (not required / not proven).
    via: str = ""
    details: dict[str, str] = field(default_factory=dict)


def key_hash(url: str, key: str) -> str:
    """hex(SHA-256(url + key)) with the URL's fragment removed, as SEB computes it."""
    url = urldefrag(url)[0]
    return hashlib.sha256((url + key).encode()).hexdigest()


def _matches(url: str, sent: str, allowed: tuple[str, ...]) -> bool:
    sent = sent.strip().lower()
    # compare_digest on every candidate: no early exit that times which key is close
    found = False
    for key in allowed:
        found |= hmac.compare_digest(key_hash(url, key), sent)
    return found


def _check_pair(policy: SebPolicy, url: str, config_hash: str | None,
                request_hash: str | None) -> str:
    """'' when the pair proves SEB for `url`, else the reason key."""
    if not policy.config_keys and not policy.browser_exam_keys:
        return "seb.no_keys_configured"  # a bare header proves nothing
    if not config_hash and not request_hash:
        return "seb.missing"
    if policy.config_keys and not (config_hash and _matches(url, config_hash, policy.config_keys)):
        return "seb.config_key_mismatch"
    if policy.browser_exam_keys and not (request_hash and _matches(url, request_hash, policy.browser_exam_keys)):
        return "seb.browser_exam_key_mismatch"
    return ""


def check_headers(policy: SebPolicy, url: str, headers: Headers | Mapping[str, str]) -> SebResult:
    """Check the SEB headers of a request for the absolute external `url`."""
    if not policy.required:
        return SebResult(True)
    reason = _check_pair(policy, url, headers.get(CONFIG_KEY_HEADER), headers.get(REQUEST_HASH_HEADER))
    return SebResult(not reason, reason, "headers" if not reason else "")


def check_js_keys(policy: SebPolicy, page_url: str, keys: Mapping[str, object] | None,
                  expected_origin: str, expected_path: str) -> SebResult:
    """Check keys the page read from SEB's JavaScript API.

    The page hashes its own URL, so the client also sends that URL; we accept it only when
    it points at our candidate page (scheme, host, port and path as the server knows them),
    otherwise a hash made for any other page could be replayed here.
    """
    if not policy.required:
        return SebResult(True)
    if not keys or not page_url:
        return SebResult(False, "seb.missing")
    parts = urlsplit(page_url)
    if f"{parts.scheme}://{parts.netloc}" != expected_origin or parts.path != expected_path:
        return SebResult(False, "seb.wrong_page", details={"url": page_url})
    reason = _check_pair(policy, page_url, str(keys.get("configKey") or ""),
                         str(keys.get("browserExamKey") or ""))
    return SebResult(not reason, reason, "js" if not reason else "")


def check(policy: SebPolicy, url: str, headers: Headers | Mapping[str, str],
          js: Mapping[str, object] | None, expected_origin: str, expected_path: str) -> SebResult:
    """Headers when the browser sent them, otherwise the JavaScript API keys."""
    if not policy.required:
        return SebResult(True)
    if headers.get(CONFIG_KEY_HEADER) or headers.get(REQUEST_HASH_HEADER):
        return check_headers(policy, url, headers)
    js_keys = js.get("keys") if isinstance(js, Mapping) else None
    page_url = str(js.get("url") or "") if isinstance(js, Mapping) else ""
    return check_js_keys(policy, page_url, js_keys if isinstance(js_keys, Mapping) else None,
                         expected_origin, expected_path)
