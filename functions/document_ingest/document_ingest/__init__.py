"""DocumentIngestFunction: SQS ingest messages -> text, chunks and the agent index (see knowrithm_core.knowledge)."""
