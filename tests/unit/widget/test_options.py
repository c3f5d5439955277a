"""widget_config validation: canonical keys, normalised values, unknown keys kept, 400 on bad values."""

from __future__ import annotations

import pytest

from knowrithm_core.errors import ValidationFailed
from knowrithm_core.widget.options import normalize_widget_config


def test_aliases_and_values_are_normalised() -> None:
    config = normalize_widget_config(
        {
            "color": "#ABC",
            "open": "true",
            "initial_delay": "1500",
            "position": "TOP-LEFT",
            "show_branding": False,
            "zIndex": 10,
            "phoneField": "required",
            "theme": None,
            "dashboard_note": "kept",
        }
    )
    assert config == {
        "primaryColor": "#abc",
        "autoOpen": True,
        "initialDelay": 1500,
        "position": "top-left",
        "showBranding": False,
        "zIndex": 10,
        "phoneField": "required",
        "dashboard_note": "kept",
    }


@pytest.mark.parametrize(
    "config",
    [
        {"primaryColor": "rgb(0,0,0)"},
        {"theme": "neon"},
        {"initialDelay": 10**9},
        {"autoOpen": "maybe"},
        {"title": "x" * 81},
        {"zIndex": True},
        {"privacyPolicyUrl": "data:text/html,hi"},
        {"blob": "x" * 9000},
    ],
)
def test_bad_values_are_a_400(config: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed):
        normalize_widget_config(config)
