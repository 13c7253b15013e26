"""Download a publisher's configured endpoint to a file: public addresses only, capped, timed.

The host is resolved once, every address is checked, and the connection goes to the checked
address (so a DNS answer cannot change between the check and the request). Redirects are not
followed: a redirect could point anywhere.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from typing import IO
from urllib.parse import urlsplit

from django.conf import settings


class FetchError(Exception):
    """The URL may not or could not be downloaded; the message says why."""


def _allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if getattr(settings, "CONTRACTING_ALLOW_PRIVATE_URLS", False):
        return True
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"no se puede resolver {host}: {exc}") from None
    addresses = [info[4][0] for info in infos]
    refused = [a for a in addresses if not _allowed(a)]
    if refused or not addresses:
        raise FetchError(
            f"{host} resuelve a una dirección privada o reservada ({', '.join(refused)}); "
            "no se descarga"
        )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def download(url: str, out: IO[bytes]) -> int:
    """Stream the body of `url` into `out`; return the number of bytes written."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"URL no admitida: {url!r} (solo http y https)")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _resolve(parts.hostname, port)
    timeout = getattr(settings, "CONTRACTING_URL_TIMEOUT", 30)
    limit = getattr(settings, "CONTRACTING_MAX_DOWNLOAD_BYTES", 2 * 1024**3)
    cls = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = cls(parts.hostname, port, address, timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request("GET", target, headers={"User-Agent": "Abierto OCDS import"})
        response = connection.getresponse()
        if response.status != 200:
            raise FetchError(f"el servidor respondió {response.status} {response.reason}")
        written = 0
        while chunk := response.read(64 * 1024):
            written += len(chunk)
            if written > limit:
                raise FetchError(f"la respuesta supera el límite de {limit} bytes")
            out.write(chunk)
        return written
    except (OSError, http.client.HTTPException) as exc:
        raise FetchError(f"no se pudo descargar {url}: {exc}") from None
    finally:
        connection.close()
