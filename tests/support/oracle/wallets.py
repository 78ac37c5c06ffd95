"""Wallets for tests, made like the zip Autonomous Database hands out.

``tnsnames.ora`` and an ``ewallet.pem`` holding a certificate and its key, encrypted
with the wallet password (PKCS#8), which python-oracledb thin mode opens with
``ssl.SSLContext.load_cert_chain(pem, password=wallet_password)``
(``oracledb/impl/thin/transport.pyx``); ``cwallet.sso`` is the thick-mode file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

WALLET_PASSWORD = "W4llet-s3cret"
TNSNAMES = "mydb_low = (description=(address=(protocol=tcps)(port=1522)(host=adb.example.com))\n"


def make_wallet(
    directory: Path,
    *,
    password: str | None = WALLET_PASSWORD,
    key: bool = True,
    pem: bool = True,
    tnsnames: bool = True,
    sso: bool = False,
) -> Path:
    """An unzipped wallet: ``password=None`` leaves the key unencrypted, ``key=False`` out."""
    directory.mkdir(parents=True, exist_ok=True)
    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "locus-test-wallet")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(private_key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    content = certificate.public_bytes(serialization.Encoding.PEM)
    if key:
        content = (
            private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
            )
            + content
        )
    if pem:
        (directory / "ewallet.pem").write_bytes(content)
    if tnsnames:
        (directory / "tnsnames.ora").write_text(TNSNAMES)
    if sso:
        (directory / "cwallet.sso").write_bytes(b"\xa1\xf8N8auto-login")
    return directory
