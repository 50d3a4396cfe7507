"""The audit chain's two keys, both kept outside the database.

* The **audit key** (HMAC-SHA256) keys every event's hash, so that someone who can write the
  database but does not hold the key cannot edit, forge or recompute the chain. ``AUDIT_KEY`` (hex,
  at least 32 bytes) or, if unset, a key generated on first use into ``instance/audit_key`` (0600).
* The **checkpoint signing key** (Ed25519) signs the checkpoints that record where the chain ended,
  so truncating the chain (and moving its head back) is caught. ``AUDIT_SIGNING_KEY`` (the 32-byte
  seed, hex) or ``instance/audit_signing_key`` (0600). Anyone holding the public key can check a
  checkpoint; it is printed in every checkpoint mail and by ``flask audit public-key``.

Back both files up with the database backups but apart from them: without the audit key the chain
cannot be verified, and a copy kept beside the database would give the key to whoever holds the
database.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app

MIN_KEY_BYTES = 32


class AuditKeyError(RuntimeError):
    """The configured key is unusable (too short, not hex)."""


def _instance_file(name: str) -> Path:
    return Path(current_app.instance_path) / name


def _read_or_create_secret(path: Path) -> str:
    """The hex secret in ``path``, generated (32 random bytes, mode 0600) if the file does not exist."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting together agree on one key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    value = secrets.token_hex(MIN_KEY_BYTES)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _from_hex(value: str, setting: str) -> bytes:
    try:
        key = bytes.fromhex(value.strip())
    except ValueError as error:
        raise AuditKeyError(f"{setting} must be hexadecimal") from error
    if len(key) < MIN_KEY_BYTES:
        raise AuditKeyError(f"{setting} must hold at least {MIN_KEY_BYTES} bytes ({2 * MIN_KEY_BYTES} hex digits)")
    return key


def audit_key() -> bytes:
    """The HMAC key of the audit chain: ``AUDIT_KEY``, else ``instance/audit_key`` (made on first use)."""
    cache = current_app.extensions.setdefault("govern_audit_keys", {})
    if "hmac" not in cache:
        configured = current_app.config.get("AUDIT_KEY")
        if configured:
            cache["hmac"] = _from_hex(str(configured), "AUDIT_KEY")
        else:
            cache["hmac"] = _from_hex(_read_or_create_secret(_instance_file("audit_key")), "instance/audit_key")
    return cache["hmac"]


def key_id(key: bytes) -> str:
    """A short public name for a key (reveals nothing of it), to tell which key keyed a chain."""
    return hashlib.sha256(b"govern audit key id\n" + key).hexdigest()[:16]


def signing_key() -> Ed25519PrivateKey:
    """The Ed25519 key that signs checkpoints: ``AUDIT_SIGNING_KEY``, else ``instance/audit_signing_key``."""
    cache = current_app.extensions.setdefault("govern_audit_keys", {})
    if "signing" not in cache:
        configured = current_app.config.get("AUDIT_SIGNING_KEY")
        seed = (_from_hex(str(configured), "AUDIT_SIGNING_KEY") if configured
                else _from_hex(_read_or_create_secret(_instance_file("audit_signing_key")),
                               "instance/audit_signing_key"))
        cache["signing"] = Ed25519PrivateKey.from_private_bytes(seed[:32])
    return cache["signing"]


def public_key_hex(key: Ed25519PublicKey) -> str:
    """The raw public key, in hex, as checkpoints and ``AUDIT_CHECKPOINT_PUBLIC_KEYS`` write it."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def trusted_public_keys() -> dict[str, Ed25519PublicKey]:
    """The keys a checkpoint may be signed with: this server's, and any listed in
    ``AUDIT_CHECKPOINT_PUBLIC_KEYS`` (other servers', or earlier keys), by their hex."""
    keys = {public_key_hex(signing_key().public_key()): signing_key().public_key()}
    for value in current_app.config.get("AUDIT_CHECKPOINT_PUBLIC_KEYS") or []:
        raw = bytes.fromhex(str(value))
        keys[raw.hex()] = Ed25519PublicKey.from_public_bytes(raw)
    return keys
