"""JSON over HTTP with the standard library: a hard deadline per request, and every failure
turned into a FetchError with a reason a person can act on."""

from __future__ import annotations

import errno
import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from selector.refresh.interface import FetchError, Offline, RateLimited

#: Seconds a fetch may take, connecting and reading together.
DEFAULT_TIMEOUT = 10.0
#: The largest response read (torch's PyPI JSON, with every release's files, is a few MB).
MAX_BYTES = 64 * 1024 * 1024
CHUNK = 64 * 1024

_UNREACHABLE = (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL)


@dataclass(frozen=True)
class Response:
    data: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpClient:
    timeout: float = DEFAULT_TIMEOUT
    user_agent: str = "dlselect (kb refresh)"

    def get_json(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """GET ``url`` and parse its JSON body, within ``timeout`` seconds in all."""
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(f"not an http(s) URL: {url}")
        try:
            request = urllib.request.Request(url, headers={"User-Agent": self.user_agent,
                                                           "Accept": "application/json",
                                                           **(headers or {})})
        except ValueError as exc:
            raise FetchError(f"bad URL {url}: {_short(exc)}") from None
        deadline = time.monotonic() + self.timeout
        host = urllib.parse.urlsplit(url).netloc
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = _read(response, deadline, self.timeout)
                got = {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as err:
            with err:
                raise http_error(err.code, err.headers, url) from None
        except urllib.error.URLError as err:
            raise connection_error(err.reason, host, self.timeout) from None
        except TimeoutError:
            raise FetchError(f"timed out after {self.timeout:g} s at {url}") from None
        except OSError as err:
            raise connection_error(err, host, self.timeout) from None
        except http.client.HTTPException as exc:
            raise FetchError(f"broken response from {host}: {type(exc).__name__}") from None
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise FetchError(f"malformed response from {url}: not JSON ({_short(exc)})") from None
        return Response(data, got)


def _read(response: Any, deadline: float, timeout: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError
        # read1: at most one read from the socket, so that a server trickling bytes cannot
        # hold the fetch past its deadline.
        chunk = response.read1(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BYTES:
            raise FetchError(f"response larger than {MAX_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)


def http_error(code: int, headers: Message | None, url: str) -> FetchError:
    """A status other than 2xx, with rate limits told apart from refusals."""
    get = (headers.get if headers is not None else (lambda _k, _d=None: None))
    remaining = get("X-RateLimit-Remaining")
    reset = get("X-RateLimit-Reset")
    retry = get("Retry-After")
    if code in (403, 429) and (remaining == "0" or retry is not None or code == 429):
        if remaining == "0" and reset is not None and str(reset).strip().isdigit():
            until = datetime.fromtimestamp(int(str(reset).strip()), UTC)
            return RateLimited(f"rate limited until {until:%Y-%m-%d %H:%M:%S} UTC (HTTP {code})")
        if retry is not None and str(retry).strip().isdigit():
            return RateLimited(f"rate limited; retry after {int(str(retry).strip())} s "
                               f"(HTTP {code})")
        return RateLimited(f"rate limited (HTTP {code})")
    if code == 404:
        return FetchError(f"not found (HTTP 404) at {url}")
    if code in (401, 403):
        return FetchError(f"access refused (HTTP {code}) at {url}; with GITHUB_TOKEN set, "
                          "check the token")
    return FetchError(f"HTTP {code} at {url}")


def connection_error(reason: object, host: str, timeout: float) -> FetchError:
    if isinstance(reason, TimeoutError):
        return FetchError(f"timed out after {timeout:g} s connecting to {host}")
    if isinstance(reason, socket.gaierror):
        return Offline(f"cannot resolve {host.rsplit(':', 1)[0]} (no network or no DNS)")
    if isinstance(reason, ConnectionRefusedError) or (
            isinstance(reason, OSError) and reason.errno in _UNREACHABLE):
        why = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        return Offline(f"cannot connect to {host} ({str(why).lower()})")
    return FetchError(f"connection to {host} failed: {_short(reason)}")


def _short(reason: object) -> str:
    text = " ".join(str(reason).split())
    return text if len(text) <= 160 else text[:157] + "..."
