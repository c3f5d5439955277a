"""Request models: what the API accepts. Unknown keys are ignored (clients send extras).

Every body, by name, for the services. The models live in :mod:`knowrithm_core.models.bodies`, one module per
resource group, and the routers import them from there, so an API function's cold start builds only its own.
"""

from __future__ import annotations

from knowrithm_core.models.bodies.accounts import ApiKeyCreate, CompanyCreate, Login, UserRegister
from knowrithm_core.models.bodies.agents import (
    AgentCreate,
    AgentFields,
    AgentUpdate,
    ProviderChoice,
    SettingsCreate,
    SettingsUpdate,
)
from knowrithm_core.models.bodies.analytics import AgentClone, AgentTest, ExportRequest
from knowrithm_core.models.bodies.base import EMAIL_RE, SCOPES, Model, Request, check_email, parse
from knowrithm_core.models.bodies.conversations import ChatRequest, ConversationCreate, ConversationUpdate
from knowrithm_core.models.bodies.documents import DocumentIds, DocumentUpload
from knowrithm_core.models.bodies.leads import LeadCreate, LeadFields, LeadRegister, LeadUpdate
from knowrithm_core.models.bodies.widget import WidgetHandshake

__all__ = [
    "EMAIL_RE",
    "SCOPES",
    "AgentClone",
    "AgentCreate",
    "AgentFields",
    "AgentTest",
    "AgentUpdate",
    "ApiKeyCreate",
    "ChatRequest",
    "CompanyCreate",
    "ConversationCreate",
    "ConversationUpdate",
    "DocumentIds",
    "DocumentUpload",
    "ExportRequest",
    "LeadCreate",
    "LeadFields",
    "LeadRegister",
    "LeadUpdate",
    "Login",
    "Model",
    "ProviderChoice",
    "Request",
    "SettingsCreate",
    "SettingsUpdate",
    "UserRegister",
    "WidgetHandshake",
    "check_email",
    "parse",
]
