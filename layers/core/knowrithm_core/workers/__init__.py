"""SQS workers: one batch runtime (:mod:`.runtime`, Powertools' ``BatchProcessor``) and each worker's record handler
(:mod:`.chat`, :mod:`.ingest`, :mod:`.delivery`). A Lambda handler is ``<worker>_jobs(...).process(event, context)``."""
