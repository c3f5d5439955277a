"""ChatWorkerFunction: queued chat turns -> answers and completed tasks (see knowrithm_core.services.chat_worker)."""
