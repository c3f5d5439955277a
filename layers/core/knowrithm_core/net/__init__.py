"""Outbound HTTP that is safe to point at a user's URL: the SSRF guard (:mod:`.url_safety`) and the pinned
client that connects only to the address the guard approved (:mod:`.http`). Used by webhooks and fetching."""
