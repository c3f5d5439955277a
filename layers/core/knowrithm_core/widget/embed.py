"""The ``advanced`` embed snippet: one script tag whose ``data-*`` attributes spell out the widget options.

Knowrithm's advanced snippet set ``window.AIChatWidget`` in an inline script and left ``data-agent-id`` off
the tag, so pasting it gave no widget (and a strict Content-Security-Policy blocks inline scripts anyway).
This one works as pasted: the tag names the agent, and every option the widget reads is an attribute the
site owner can edit (attributes override the agent's saved ``widget_config``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

# widget_config keys (canonical camelCase) the widget also reads from data-* attributes
ATTRIBUTE_OPTIONS = (
    "title",
    "welcome",
    "primaryColor",
    "position",
    "theme",
    "buttonText",
    "showBranding",
    "autoOpen",
    "initialDelay",
    "persistSession",
    "zIndex",
)


def data_name(key: str) -> str:
    """``primaryColor`` -> ``data-primary-color`` (what ``dataset.primaryColor`` reads)."""
    return "data-" + re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), key)


def _value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def advanced_snippet(script_url: str, agent_attrs: str, widget_config: Mapping[str, Any]) -> str:
    """The script tag with the agent's attributes and one ``data-*`` attribute per configured widget option."""
    lines = [f'<script src="{html.escape(script_url)}"', f"  {agent_attrs}"]
    for key in ATTRIBUTE_OPTIONS:
        if widget_config.get(key) not in (None, ""):
            lines.append(f'  {data_name(key)}="{html.escape(_value(widget_config[key]))}"')
    lines.append("  async></script>")
    comment = (
        "<!-- Knowrithm chat widget: the data-* attributes override the agent's saved widget settings; "
        "window.KnowrithmWidget.open() opens it from your own code. -->"
    )
    return comment + "\n" + "\n".join(lines)
