"""EventFanoutFunction: the table's stream (outbox events only) -> delivery messages."""
