"""``python -m local.redrive [QUEUE]`` (``make redrive QUEUE=delivery``): move a dead-letter queue back to its queue.

Without ``STACK``: the running local stack (``make dev``), through ``POST /api/v1/operations/dlq/{queue}/redrive``
with the demo key of ``<LOCAL_STATE_DIR or .local>/demo.json`` (its move loop: moto has no move tasks).
With ``STACK=<stack name>``: the deployed stack, with your AWS credentials: the queues are looked up in
CloudFormation and SQS ``StartMessageMoveTask`` moves the messages. Without ``QUEUE``: each DLQ's depth.
Queues: ``delivery``, ``ingest``, ``chat``, ``fanout-failures``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from knowrithm_core.services.redrive import QUEUES
from knowrithm_core.store.dlq import SqsMoveTask, depth
from local.seed import state_dir

# queue name -> (DLQ logical id, source queue logical id)
LOGICAL_IDS = {
    "delivery": ("DeliveryDLQ", "DeliveryQueue"),
    "ingest": ("IngestDLQ", "IngestQueue"),
    "chat": ("ChatDLQ", "ChatQueue"),
    "fanout-failures": ("FanoutFailureDLQ", "FanoutFailureQueue"),
}
if LOGICAL_IDS.keys() != QUEUES.keys():  # the CLI and the route must name the same queues
    raise RuntimeError("local.redrive: LOGICAL_IDS and QUEUES name different queues")


def _queue_url(stack: str, logical_id: str) -> str:
    import boto3

    found = boto3.client("cloudformation").describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
    return str(found["StackResourceDetail"]["PhysicalResourceId"])  # an SQS queue's physical id is its URL


def on_aws(stack: str, queue: str | None) -> dict[str, Any]:
    """Depths, or a move task for ``queue``, on the deployed ``stack``."""
    if queue is None:
        return {
            "queues": [{"queue": q, "messages": depth(_queue_url(stack, ids[0]))} for q, ids in LOGICAL_IDS.items()]
        }
    dlq, source = (_queue_url(stack, logical_id) for logical_id in LOGICAL_IDS[queue])
    moved = SqsMoveTask().move(dlq, source)
    return {"queue": queue, "moved": moved.messages, "mode": moved.mode, "task_handle": moved.task_handle}


def on_local_stack(queue: str | None) -> dict[str, Any]:
    """Depths, or a redrive of ``queue``, through the local stack's API with the demo key."""
    from knowrithm_py.knowrithm.client import KnowrithmClient

    demo = json.loads((state_dir() / "demo.json").read_text(encoding="utf-8"))
    with KnowrithmClient(api_key=demo["api_key"], api_secret=demo["api_secret"], base_url=demo["base_url"]) as client:
        if queue is None:
            return dict(client.operations.list_dead_letter_queues())
        return dict(client.operations.redrive_dead_letter_queue(queue))


def main(argv: list[str]) -> int:
    queue = argv[0] if argv and argv[0] else None
    if queue is not None and queue not in LOGICAL_IDS:
        print(f"unknown queue {queue!r}; one of: {', '.join(LOGICAL_IDS)}", file=sys.stderr)
        return 2
    stack = os.environ.get("STACK")
    try:
        result = on_aws(stack, queue) if stack else on_local_stack(queue)
    except FileNotFoundError:
        print("no .local/demo.json: start the local stack first (make dev), or set STACK=<stack name>", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
