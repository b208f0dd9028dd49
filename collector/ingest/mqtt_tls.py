"""TLS for the collector's own MQTT connection: the context it connects with, and what a failure means.

The broker's certificate and host name are always verified (against `COLLECTOR_MQTT_CA_FILE`, or the
system's CAs); a client certificate is presented when one is configured. See deploy/mosquitto/tls.md.
"""

from __future__ import annotations

import ssl
from pathlib import Path


def tls_context(ca_file: Path | None, cert_file: Path | None, key_file: Path | None) -> ssl.SSLContext:
    """A client context that verifies the server; `ValueError` saying which file cannot be used."""
    try:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot use the CA file {ca_file}: {_reason(exc)}") from None
    if cert_file is not None:
        try:
            context.load_cert_chain(cert_file, key_file)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(
                f"cannot use the client certificate {cert_file} with key {key_file}: {_reason(exc)}"
            ) from None
    return context


def describe_failure(exc: OSError, where: str) -> str:
    """One line for a connection that failed: the TLS handshake (with a hint at the likely setting) or the
    network."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        hint = ""
        if exc.verify_code in (19, 20, 21):  # self-signed in chain, unknown issuer, unable to verify the leaf
            hint = " (is COLLECTOR_MQTT_CA_FILE the CA that signed the broker's certificate?)"
        elif "mismatch" in (exc.verify_message or "").lower():
            hint = " (connect by a name or address the broker's certificate is valid for)"
        return f"TLS with the MQTT broker at {where} failed: certificate verify failed: {exc.verify_message}{hint}"
    if isinstance(exc, ssl.SSLError):
        hint = " (is that port a TLS listener?)" if exc.reason == "WRONG_VERSION_NUMBER" else ""
        return f"TLS with the MQTT broker at {where} failed: {_reason(exc)}{hint}"
    return f"cannot reach the MQTT broker at {where}: {exc.strerror or exc}"


def _reason(exc: OSError) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason).replace("_", " ").lower()
    return exc.strerror or str(exc) or type(exc).__name__
