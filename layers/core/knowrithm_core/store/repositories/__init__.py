"""Repositories: one per aggregate, the only code that knows keys, conditions and expressions.

Each takes a :class:`~knowrithm_core.store.port.Table` (DynamoDB, or the in-memory table in fast tests), reads
return models, and writes are queued on a :class:`~knowrithm_core.store.unit_of_work.UnitOfWork` the service
commits once per use case.
"""
