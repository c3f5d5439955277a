"""WebhookDeliveryFunction: delivery queue -> signed HTTP POSTs with backoff."""
