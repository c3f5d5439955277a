"""Database credentials in AWS Secrets Manager (moto locally): one secret per connection, never returned by the API.

Names are ``<DATABASE_SECRET_PREFIX>/<company id>/<connection id>`` (prefix ``knowrithm/databases``), so the
functions' IAM policies can be scoped to that prefix.
"""

from __future__ import annotations

import os
from typing import Any


class SecretStore:
    def __init__(self, client: Any | None = None, prefix: str | None = None) -> None:
        self._client = client
        self.prefix = prefix or os.environ.get("DATABASE_SECRET_PREFIX") or "knowrithm/databases"

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager")
        return self._client

    def name(self, company_id: str, connection_id: str) -> str:
        return f"{self.prefix}/{company_id}/{connection_id}"

    def put(self, name: str, value: str) -> str:
        """Create the secret (or store a new value); returns its ARN."""
        try:
            created = self.client.create_secret(Name=name, SecretString=value)
            return str(created["ARN"])
        except self.client.exceptions.ResourceExistsException:
            updated = self.client.put_secret_value(SecretId=name, SecretString=value)
            return str(updated["ARN"])

    def get(self, name: str) -> str:
        return str(self.client.get_secret_value(SecretId=name)["SecretString"])

    def delete(self, name: str) -> None:
        try:
            self.client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except self.client.exceptions.ResourceNotFoundException:
            return
