"""Fetch a harvest source's documents: its own host only, capped in size and time.

A harvest reads the configured URL and the paging links the source gives, and nothing else:
every request must stay on the source's scheme, host and port. The host is resolved once,
its addresses checked (public ones only, unless HARVEST_ALLOW_PRIVATE_URLS), and the connection
goes to the checked address. Connecting may take HARVEST_CONNECT_TIMEOUT seconds (5), each read
HARVEST_READ_TIMEOUT (30), and a response may hold HARVEST_MAX_BYTES (50 MB).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

USER_AGENT = "Abierto harvester"


class FetchError(Exception):
    """The document could not be fetched; the message says why, in Spanish, for the report."""


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str
    body: bytes


def _setting(name: str, default):
    return getattr(settings, name, default)


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(_("URL no admitida: %(url)s (solo http y https).") % {"url": url})
    return (
        parts.scheme,
        parts.hostname.lower(),
        parts.port or (443 if parts.scheme == "https" else 80),
    )


def same_origin(url: str, base: str) -> bool:
    """May `url` be fetched for a source configured at `base` (same scheme, host and port)?"""
    try:
        return _origin(url) == _origin(base)
    except FetchError:
        return False


def _resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(
            _("No se puede resolver %(host)s: %(error)s.") % {"host": host, "error": exc}
        ) from None
    addresses = [info[4][0] for info in infos]
    if not _setting("HARVEST_ALLOW_PRIVATE_URLS", False):
        refused = [a for a in addresses if not ipaddress.ip_address(a).is_global]
        if refused or not addresses:
            raise FetchError(
                _(
                    "%(host)s resuelve a una dirección privada o reservada (%(addresses)s); "
                    "no se cosecha."
                )
                % {"host": host, "addresses": ", ".join(refused)}
            )
    return addresses[0]


class _Connection(http.client.HTTPConnection):
    """Connects to the checked address within the connect timeout, then reads with another."""

    def __init__(self, host: str, port: int, address: str, connect: float, read: float) -> None:
        super().__init__(host, port, timeout=connect)
        self.address, self.read_timeout = address, read

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.settimeout(self.read_timeout)


class _SecureConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, connect: float, read: float) -> None:
        super().__init__(host, port, timeout=connect, context=ssl.create_default_context())
        self.address, self.read_timeout = address, read

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        sock.settimeout(self.read_timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch(url: str, *, base: str, accept: str = "*/*") -> Fetched:
    """GET `url`, which must be on the same origin as the source's `base` URL."""
    if not same_origin(url, base):
        raise FetchError(
            _("El enlace %(url)s sale del servidor de la fuente (%(base)s); no se sigue.")
            % {"url": url, "base": base}
        )
    scheme, host, port = _origin(url)
    address = _resolve(host, port)
    connect = float(_setting("HARVEST_CONNECT_TIMEOUT", 5))
    read = float(_setting("HARVEST_READ_TIMEOUT", 30))
    limit = int(_setting("HARVEST_MAX_BYTES", 50 * 1024 * 1024))
    cls = _SecureConnection if scheme == "https" else _Connection
    connection = cls(host, port, address, connect, read)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        try:
            connection.connect()
        except TimeoutError:
            raise FetchError(
                _("La fuente %(host)s no aceptó la conexión en %(seconds)s s.")
                % {"host": host, "seconds": f"{connect:g}"}
            ) from None
        connection.request("GET", target, headers={"User-Agent": USER_AGENT, "Accept": accept})
        response = connection.getresponse()
        if response.status != 200:
            raise FetchError(
                _("La fuente respondió %(status)s %(reason)s a %(url)s.")
                % {"status": response.status, "reason": response.reason, "url": url}
            )
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(_too_big(url, limit))
        chunks, size = [], 0
        while chunk := response.read(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise FetchError(_too_big(url, limit))
            chunks.append(chunk)
        return Fetched(
            url=url, content_type=response.getheader("Content-Type", ""), body=b"".join(chunks)
        )
    except TimeoutError:
        raise FetchError(
            _("La fuente tardó más de %(seconds)s s en responder a %(url)s.")
            % {"seconds": f"{read:g}", "url": url}
        ) from None
    except ConnectionRefusedError:
        raise FetchError(
            _("La fuente no está disponible: %(host)s:%(port)s rechazó la conexión.")
            % {"host": host, "port": port}
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise FetchError(
            _("No se pudo descargar %(url)s: %(error)s.") % {"url": url, "error": exc}
        ) from None
    finally:
        connection.close()


def _too_big(url: str, limit: int) -> str:
    return _("La respuesta de %(url)s supera el límite de %(limit)s bytes.") % {
        "url": url,
        "limit": limit,
    }
