"""``/api/vmcp``: sign a CernVM request with the site's RSA key (PYBOSSA's VMCP scheme).

The query's parameters, sorted by name, are written one per line as
``name=value`` (the name lower-cased, the value percent-encoded but for
``A-Za-z0-9-_.~``), the ``cvm_salt`` is appended, and the buffer is signed
with RSA PKCS#1 v1.5 over its SHA-512; the base64 signature is returned beside
the parameters as ``signature``.
"""
from __future__ import annotations

import base64
from collections.abc import Mapping
from urllib.parse import quote

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pybossa_core.api.describe import Description, json_answer, operation, query
from pybossa_core.errors import InvalidValue, MethodNotAllowed, PybossaError


class NotConfigured(PybossaError):
    status_code = 501
    exception_cls = "vmcp"
    default_message = "The server is not configured properly, contact the admins"


class MissingSalt(InvalidValue):
    exception_cls = "vmcp"


def signing_buffer(data: Mapping[str, str], salt: str) -> str:
    """Return the text VMCP signs: sorted ``name=value`` lines, then the salt."""
    lines = "".join(f"{str(name).lower()}={quote(str(data[name]), safe='-_.~')}\n" for name in sorted(data))
    return lines + salt


def sign(data: Mapping[str, str], salt: str, private_key: rsa.RSAPrivateKey) -> dict[str, str]:
    """Return ``data`` with its VMCP ``signature``."""
    signature = private_key.sign(signing_buffer(data, salt).encode("utf-8"), padding.PKCS1v15(), hashes.SHA512())
    return {**data, "signature": base64.b64encode(signature).decode("ascii")}


def load_key(path: str) -> rsa.RSAPrivateKey:
    try:
        with open(path, "rb") as key_file:
            key = serialization.load_pem_private_key(key_file.read(), password=None)
    except (OSError, ValueError, TypeError):
        raise NotConfigured(
            "The server is not configured properly (private key is missing), contact the admins", target="vmcp"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise NotConfigured("The server's VMCP key is not an RSA key, contact the admins", target="vmcp")
    return key


def vmcp(request):
    if request.method != "GET":
        raise MethodNotAllowed(target="vmcp")
    path = request.registry.settings["vmcp.key"]
    if not path:
        raise NotConfigured(target="vmcp")
    key = load_key(path)
    salt = request.GET.get("cvm_salt")
    if not salt:
        raise MissingSalt("cvm_salt parameter is missing", target="vmcp")
    data = {name: request.GET[name] for name in request.GET}
    return sign(data, salt, key)


def _vmcp_path_item(route_name: str, view) -> dict:
    signed = {"type": "object", "additionalProperties": {"type": "string"}, "required": ["signature"]}
    salt = query("cvm_salt", {
        "required": True,
        "schema": {"type": "string", "minLength": 1},
        "description": "the CernVM salt; every other parameter is signed too",
    })
    return {"get": operation("vmcp", "Sign a CernVM request with the site's key", {
        "200": json_answer(signed, jsonp_too=True),
        "501": {"$ref": "#/components/responses/Error"},
    }, tag="vmcp", parameters=[salt])}


def includeme(config) -> None:
    config.add_route("api.vmcp", "/api/vmcp{slash:/?}")
    config.add_view(vmcp, route_name="api.vmcp", renderer="json", describe=Description(_vmcp_path_item))
