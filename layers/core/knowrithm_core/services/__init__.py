"""Use cases, one module per resource. Each takes a :class:`~knowrithm_core.auth.Principal`."""
