"""LLM settings (``/sdk/settings``, ``/settings``): create, read, update, delete."""

from __future__ import annotations

from typing import cast
from urllib.parse import quote

from knowrithm_py.models.settings import (
    SettingsCreateRequest,
    SettingsDeleted,
    SettingsList,
    SettingsRecord,
    SettingsUpdateRequest,
)
from knowrithm_py.models.users import ProvidersSeeded, SettingsTested
from knowrithm_py.services._base import Headers, Service


def _id(value: str) -> str:
    return quote(value, safe="")


class SettingsService(Service):
    def create_settings(self, payload: SettingsCreateRequest, *, headers: Headers = None) -> SettingsRecord:
        """``POST /sdk/settings``: an agent's settings (with ``agent_id``) or the company's."""
        return cast(SettingsRecord, self._core.call("POST", "/sdk/settings", json=dict(payload), headers=headers))

    def get_settings(self, settings_id: str, *, headers: Headers = None) -> SettingsRecord:
        """``GET /sdk/settings/{id}``."""
        return cast(SettingsRecord, self._core.call("GET", f"/sdk/settings/{_id(settings_id)}", headers=headers))

    def get_agent_settings(self, agent_id: str, *, headers: Headers = None) -> SettingsRecord:
        """``GET /sdk/settings/agent/{agent_id}``: the settings the agent answers with."""
        path = f"/sdk/settings/agent/{_id(agent_id)}"
        return cast(SettingsRecord, self._core.call("GET", path, headers=headers))

    def list_company_settings(self, company_id: str, *, headers: Headers = None) -> SettingsList:
        """``GET /settings/company/{company_id}``: every settings object of the (caller's) company."""
        path = f"/settings/company/{_id(company_id)}"
        return cast(SettingsList, self._core.call("GET", path, headers=headers))

    def update_settings(
        self, settings_id: str, payload: SettingsUpdateRequest, *, headers: Headers = None
    ) -> SettingsRecord:
        """``PUT /sdk/settings/{id}``: only the given fields change."""
        path = f"/sdk/settings/{_id(settings_id)}"
        return cast(SettingsRecord, self._core.call("PUT", path, json=dict(payload), headers=headers))

    def delete_settings(self, settings_id: str, *, headers: Headers = None) -> SettingsDeleted:
        """``DELETE /sdk/settings/{id}``."""
        return cast(SettingsDeleted, self._core.call("DELETE", f"/sdk/settings/{_id(settings_id)}", headers=headers))

    def test_settings(self, settings_id: str, *, headers: Headers = None) -> SettingsTested:
        """``POST /settings/test/{id}``: whether the LLM and embedding choices are available (400 if not)."""
        return cast(SettingsTested, self._core.call("POST", f"/settings/test/{_id(settings_id)}", headers=headers))

    def seed_settings_providers(self, *, headers: Headers = None) -> ProvidersSeeded:
        """``POST /settings/providers/seed`` (admins): idempotent; the provider catalogue is built in."""
        return cast(ProvidersSeeded, self._core.call("POST", "/settings/providers/seed", headers=headers))
