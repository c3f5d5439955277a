"""Authentication and authorization: API keys, user JWTs, lead tokens, scopes."""

from knowrithm_core.auth.principal import Principal, required_scope

__all__ = ["Principal", "required_scope"]
