"""``/api/vmcp``: CernVM requests signed with the site's RSA key."""
from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("vmcp") / "vmcp.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path, key.public_key()


def test_parameters_come_back_signed_as_pybossa_signs_them(site_with, key_file):
    path, public_key = key_file
    body = site_with(**{"vmcp.key": str(path)}).get("/api/vmcp?cvm_salt=salty&b=two words&A=1").json

    assert {key: value for key, value in body.items() if key != "signature"} == {"cvm_salt": "salty", "b": "two words", "A": "1"}
    buffer = "a=1\nb=two%20words\ncvm_salt=salty\nsalty"
    assert hashlib.sha512(buffer.encode()).digest()  # the scheme: RSA PKCS#1 v1.5 over the SHA-512 of the buffer
    public_key.verify(base64.b64decode(body["signature"]), buffer.encode(), padding.PKCS1v15(), hashes.SHA512())


def test_missing_salt_is_refused(site_with, key_file):
    body = site_with(**{"vmcp.key": str(key_file[0])}).get("/api/vmcp?a=1", status=415).json
    assert body["exception_msg"] == "cvm_salt parameter is missing" and body["target"] == "vmcp"


@pytest.mark.parametrize("setting", ["", "/nonexistent/key.pem"])
def test_missing_key_is_a_server_error(site_with, setting):
    body = site_with(**{"vmcp.key": setting}).get("/api/vmcp?cvm_salt=s", status=501).json
    assert body["status"] == "failed" and body["exception_cls"] == "vmcp"
    assert body["exception_msg"].startswith("The server is not configured properly")
