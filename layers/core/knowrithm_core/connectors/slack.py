"""The Slack Web API and Events API request signatures, through the official ``slack_sdk``.

``SlackApi`` wraps ``slack_sdk.WebClient`` (``base_url`` is configurable, so tests point it at a fake on
loopback); ``signature_ok`` uses ``slack_sdk.signature.SignatureVerifier`` (v0 HMAC-SHA256 over
``v0:{timestamp}:{body}``, 5-minute window).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web import SlackResponse

from knowrithm_core.models.resources import Message

TIMEOUT_SECONDS = 10
MAX_TRANSCRIPT_MESSAGES = 30
MAX_TEXT = 3000  # Slack truncates a section's text at 3,000 characters
ROLE_NAMES = {"user": "Visitor", "assistant": "Bot", "system": "System"}


class SlackFailed(Exception):
    """Slack answered ``ok: false`` (``error`` holds its code) or could not be reached."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class SlackApi:
    """The few Web API methods the connector uses, for one bot token."""

    def __init__(self, token: str, base_url: str | None = None) -> None:
        options: dict[str, Any] = {"token": token, "timeout": TIMEOUT_SECONDS}
        if base_url:
            options["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
        self.client = WebClient(**options)

    def _call(self, method: Callable[..., SlackResponse], **arguments: Any) -> dict[str, Any]:
        try:
            response = method(**arguments)
        except SlackApiError as exc:
            raise SlackFailed(str(exc.response.get("error") or "slack_error")) from exc
        except OSError as exc:  # refused, reset, timed out
            raise SlackFailed(f"unreachable: {exc}") from exc
        return dict(response.data) if isinstance(response.data, dict) else {}

    def auth_test(self) -> dict[str, Any]:
        """Who the token is (``team_id``, ``user_id`` of the bot); raises :class:`SlackFailed` for a bad token."""
        return self._call(self.client.auth_test)

    def post(self, channel: str, text: str, thread_ts: str | None = None) -> str:
        """Post ``text`` (in the thread ``thread_ts`` when given); returns the new message's ``ts``."""
        answer = self._call(
            self.client.chat_postMessage, channel=channel, text=text[:MAX_TEXT], thread_ts=thread_ts, unfurl_links=False
        )
        return str(answer.get("ts", ""))

    def user_name(self, user_id: str) -> str:
        """A person's display name (then real name, then handle), or the id when Slack will not say."""
        try:
            user = self._call(self.client.users_info, user=user_id).get("user") or {}
        except SlackFailed:
            return user_id
        profile = user.get("profile") or {}
        return str(profile.get("display_name") or user.get("real_name") or user.get("name") or user_id)


def signature_ok(signing_secret: str, body: bytes, headers: Mapping[str, str], clock: Clock | None = None) -> bool:
    """Slack's v0 signature over the raw body, and a timestamp within five minutes of now."""
    verifier = SignatureVerifier(signing_secret, clock) if clock else SignatureVerifier(signing_secret)
    return verifier.is_valid_request(body, dict(headers))


def transcript(heading: str, messages: Iterable[Message], link: str | None = None) -> str:
    """The thread's first message: what happened, then the conversation so far (oldest first)."""
    lines = [heading]
    shown = [m for m in messages if not m.deleted_at][-MAX_TRANSCRIPT_MESSAGES:]
    for message in shown:
        lines.append(f"*{speaker(message)}:* {message.content}")
    if link:
        lines.append(link)
    lines.append("_Reply in this thread to answer the visitor._")
    return "\n".join(lines)


def speaker(message: Message) -> str:
    if message.role == "operator":
        return message.author.name if message.author else "Operator"
    return ROLE_NAMES.get(message.role, message.role)
