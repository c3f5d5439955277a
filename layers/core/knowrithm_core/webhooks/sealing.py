"""Webhook signing secrets encrypted at rest: envelope encryption with a KMS data key, the way Svix does it.

Each new secret gets its own 256-bit data key from KMS (``GenerateDataKey``) under an encryption context that
names the company and the endpoint; the secret is encrypted with AES-256-GCM (random 96-bit nonce, the same
company and endpoint as associated data) and stored next to the encrypted data key. Neither the secret nor the
data key is ever stored in plaintext. To sign, the delivery worker asks KMS to decrypt the data key (``Decrypt``
with the same context, so a sealed secret copied into another endpoint's item cannot be opened) and keeps it in
a small in-process cache (:class:`DataKeyCache`), so a warm container makes no KMS request per attempt.

One secret per data key lets a rotation seal the new secret without decrypting the old ones: the API needs
``kms:GenerateDataKey`` only, the worker ``kms:Decrypt`` only. Items written before encryption keep
``{"secret": "whsec_..."}`` entries: they are read as they are and sealed on the endpoint's next write.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from knowrithm_core.errors import ServiceUnavailable

ALGORITHM = "AES-256-GCM"
PURPOSE = "knowrithm-webhook-signing-secret"


def encryption_context(company_id: str, endpoint_id: str) -> dict[str, str]:
    """What binds a data key to one endpoint (KMS checks it on Decrypt, and CloudTrail logs it)."""
    return {"purpose": PURPOSE, "company_id": company_id, "endpoint_id": endpoint_id}


def _aad(company_id: str, endpoint_id: str) -> bytes:
    return f"{PURPOSE}/{company_id}/{endpoint_id}".encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def is_sealed(entry: dict[str, Any]) -> bool:
    return "sealed" in entry


class DataKeyCache:
    """Decrypted data keys by encrypted data key, least recently used first out, each kept ``ttl`` seconds.

    The cost: about 0.5 KB of memory per entry (the 32-byte key plus its ~200-character encrypted form as the
    cache key), so the default 1,024 entries stay under 1 MB; and plaintext data keys live in the container's
    memory for up to ``ttl`` seconds (a disabled KMS key stops deliveries within that time, not at once).
    KMS requests: one ``Decrypt`` per live secret per container per ``ttl``.
    """

    def __init__(self, size: int = 1024, ttl: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.ttl, self.clock = size, ttl, clock
        self._keys: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.misses = 0

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, encrypted: str, load: Callable[[], bytes]) -> bytes:
        """The data key of ``encrypted``, from the cache or from ``load`` (outside the lock: KMS is slow)."""
        with self._lock:
            found = self._keys.get(encrypted)
            if found is not None and found[1] > self.clock():
                self._keys.move_to_end(encrypted)
                return found[0]
        key = load()
        with self._lock:
            self.misses += 1
            self._keys[encrypted] = (key, self.clock() + self.ttl)
            self._keys.move_to_end(encrypted)
            while len(self._keys) > self.size:
                self._keys.popitem(last=False)
        return key


class SecretVault:
    """Seals secrets for storage (API: ``GenerateDataKey``) and opens them to sign (worker: ``Decrypt``)."""

    def __init__(self, key_id: str | None, client: Any | None = None, cache: DataKeyCache | None = None) -> None:
        self.key_id = key_id
        self._client = client
        self.cache = cache or DataKeyCache()

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "kms", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_KMS") or os.environ.get("AWS_ENDPOINT_URL")
            )
        return self._client

    def seal(self, company_id: str, endpoint_id: str, secret: str) -> dict[str, str]:
        """``secret`` encrypted under a fresh data key bound to the endpoint."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not self.key_id:
            raise ServiceUnavailable("Webhook secrets cannot be stored: WEBHOOK_SECRETS_KEY_ID is not set.")
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            data_key = self.client.generate_data_key(
                KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=encryption_context(company_id, endpoint_id)
            )
        except (BotoCoreError, ClientError) as exc:  # throttled, key disabled, no network: nothing was written
            raise ServiceUnavailable("Webhook secrets cannot be sealed right now; try again shortly.") from exc
        nonce = secrets.token_bytes(12)
        ciphertext = AESGCM(data_key["Plaintext"]).encrypt(nonce, secret.encode(), _aad(company_id, endpoint_id))
        return {
            "alg": ALGORITHM,
            "key_id": str(data_key["KeyId"]),
            "data_key": _b64(data_key["CiphertextBlob"]),
            "nonce": _b64(nonce),
            "ciphertext": _b64(ciphertext),
        }

    def seal_all(self, company_id: str, endpoint_id: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The entries with every plaintext ``secret`` replaced by its sealed form (sealed ones unchanged)."""
        return [
            entry
            if is_sealed(entry)
            else {
                **{k: v for k, v in entry.items() if k != "secret"},
                "sealed": self.seal(company_id, endpoint_id, str(entry["secret"])),
            }
            for entry in entries
        ]

    def open(self, company_id: str, endpoint_id: str, entry: dict[str, Any]) -> str:
        """The secret of one entry (sealed or legacy plaintext). Raises if the context or ciphertext is wrong."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not is_sealed(entry):
            return str(entry["secret"])
        sealed = entry["sealed"]
        if sealed.get("alg") != ALGORITHM:
            raise ValueError(f"unknown secret algorithm {sealed.get('alg')!r}")

        def decrypt() -> bytes:
            answer = self.client.decrypt(
                CiphertextBlob=base64.b64decode(sealed["data_key"]),
                KeyId=sealed["key_id"],
                EncryptionContext=encryption_context(company_id, endpoint_id),
            )
            return bytes(answer["Plaintext"])

        cache_key = f"{company_id}/{endpoint_id}/{sealed['data_key']}"  # the context is part of what was checked
        data_key = self.cache.get(cache_key, decrypt)
        plain = AESGCM(data_key).decrypt(
            base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ciphertext"]), _aad(company_id, endpoint_id)
        )
        return plain.decode()

    def open_all(self, company_id: str, endpoint_id: str, entries: list[dict[str, Any]]) -> list[str]:
        return [self.open(company_id, endpoint_id, entry) for entry in entries]
