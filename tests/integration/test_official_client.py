"""The official ``knowrithm-py==0.1.22`` from PyPI against the local stack, in a throwaway virtualenv.

The virtualenv lives in ``.cache/official-client-venv`` (git-ignored) and is made once; the
package is not a project dependency. Without network access to PyPI the test fails and says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".cache" / "official-client-venv"
PACKAGE = "knowrithm-py==0.1.22"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

SCRIPT = """\
import json, sys, time
from knowrithm_py.knowrithm.client import KnowrithmClient
from knowrithm_py.dataclass.config import KnowrithmConfig

base_url, api_key, api_secret = sys.argv[1:4]
client = KnowrithmClient(api_key, api_secret, config=KnowrithmConfig(base_url=base_url, task_poll_timeout=30))
agent = client.agents.create_agent(
    {"name": "Official client agent", "description": "We sell mugs. Shipping takes 3 to 5 business days."},
    settings={"llm_provider": "extractive", "llm_model": "extractive",
              "embedding_provider": "extractive", "embedding_model": "bm25"},
)
agent_id = agent["agent"]["id"]
conversation = client.conversations.create_conversation(agent_id, title="Official client")
conversation_id = conversation["conversation"]["id"]
started = time.monotonic()
reply = client.messages.send_message(conversation_id, "How long does shipping take?")
sync_seconds = time.monotonic() - started
started = time.monotonic()
polled = client.messages.send_message(
    conversation_id, "How long does shipping take?", headers={"Prefer": "respond-async"}
)
async_seconds = time.monotonic() - started
messages = client.conversations.list_conversation_messages(conversation_id)
print(json.dumps({
    "agent_id": agent_id,
    "conversation_id": conversation_id,
    "answer": reply["history"][-1]["assistant_response"],
    "polled_answer": polled["history"][-1]["assistant_response"],
    "sync_seconds": sync_seconds,
    "async_seconds": async_seconds,
    "message_roles": [m["role"] for m in messages["messages"]],
}))
"""


class LocalStack(Protocol):
    base_url: str
    api_key: str
    api_secret: str


def _installed() -> bool:
    if not PYTHON.exists():
        return False
    probe = subprocess.run(
        [str(PYTHON), "-c", "import importlib.metadata as m; print(m.version('knowrithm-py'))"],
        capture_output=True,
        text=True,
    )
    return probe.returncode == 0 and probe.stdout.strip() == PACKAGE.split("==")[1]


@pytest.fixture(scope="session")
def official_python() -> Path:
    """The throwaway virtualenv's Python with the official client installed (made once, then reused)."""
    if _installed():
        return PYTHON
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, capture_output=True)
    install = subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PACKAGE],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if install.returncode != 0 or not _installed():
        pytest.fail(
            f"Could not install {PACKAGE} from PyPI into {VENV} (is there network access to PyPI?).\n"
            f"pip said:\n{install.stderr[-2000:]}",
            pytrace=False,
        )
    return PYTHON


def test_official_client_creates_an_agent_and_chats(official_python: Path, local_stack: LocalStack) -> None:
    # GIVEN the official client, configured only with the stack's base URL and an API key
    args = [str(official_python), "-c", SCRIPT, local_stack.base_url, local_stack.api_key, local_stack.api_secret]
    # WHEN it creates an agent by provider names, a conversation, and sends a message inline and as a task
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # only the official package
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    # THEN it succeeds, answers from the agent's description, and never waits for a poll timeout
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert "3 to 5 business days" in result["answer"]
    assert "3 to 5 business days" in result["polled_answer"]
    assert result["message_roles"] == ["user", "assistant", "user", "assistant"]
    assert result["sync_seconds"] < 10 and result["async_seconds"] < 10
