"""``python -m local`` (``make dev``): the whole stack on loopback, no AWS account, no Docker.

Starts moto, creates what ``template.yaml`` declares, loads every function with its resolved
environment, starts the event-source pollers, serves the HTTP API on 127.0.0.1:$PORT (3000) and
the widget demo page on 127.0.0.1:$DEMO_PORT (3001, another origin), seeds the demo tenant and waits
for Ctrl-C / SIGTERM, then stops everything and exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
import traceback
from contextlib import ExitStack
from typing import Any

from local.demo_page import DemoServer, start_demo
from local.environment import apply_environment, merged_environment, use_fake_aws, with_queue_urls
from local.invoker import Invoker
from local.logformat import compact_functions_log, configure
from local.memory import Trimmer, trim_interval
from local.moto_safety import serialize_dynamodb
from local.persist import restore
from local.pollers import PollerGroup, build_pollers
from local.resources import cloud_only, create_all
from local.sam_env import write_sam_env
from local.saver import Saver, snapshot_interval
from local.seed import Demo, demo_values, reuse, seed, state_dir, write_demo
from local.server import Gateway, start_server
from local.snapshot import FILE_NAME, CorruptSnapshot, load
from local.template import FunctionSpec, Stack, functions, load_template, local_parameters
from local.websocket import Realtime, start_realtime

KINDS = {
    "AWS::DynamoDB::Table": "table",
    "AWS::SQS::Queue": "queue",
    "AWS::S3::Bucket": "bucket",
    "AWS::SecretsManager::Secret": "secret",
    "AWS::KMS::Key": "KMS key",
    "AWS::KMS::Alias": "KMS alias",
}


DEFAULT_DEMO_PORT = 3001
DEFAULT_WS_PORT = 3002


class StartupError(Exception):
    """A reason not to start that needs no traceback."""


def check_port(name: str, port: int) -> None:
    """Fail early and clearly if the port is taken (moto would otherwise fail on its own thread and hang).

    The probe binds with ``SO_REUSEADDR`` like the servers do, so connections of a stopped stack still in
    TIME-WAIT do not count as taken (a restart right after Ctrl-C works); a listening socket still does.
    """
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise StartupError(f"127.0.0.1:{port} is not free ({exc.strerror}); set {name} to another port") from exc


def progress(message: str) -> None:
    print(f"✓ {message}")


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def _configure_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(line_buffering=True, errors="backslashreplace")
    configure(logging.WARNING)
    logging.getLogger("local").setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log


def load_functions(stack: Stack, specs: dict[str, FunctionSpec], endpoint: str) -> Invoker:
    """Set every function's environment on this process and import each handler once (a warm container)."""
    variables, conflicts = merged_environment(specs.values())
    for conflict in conflicts:
        print(f"! {conflict}")
    apply_environment(with_queue_urls(variables, stack, endpoint))
    invoker = Invoker(stack, specs)
    loaded = 0
    for logical_id, spec in specs.items():
        try:
            invoker.handler(logical_id)
        except Exception as exc:  # noqa: BLE001 - one broken function must not keep the others from running
            print(f"✗ cannot load {logical_id} ({spec.handler}): {exc!r}; its requests and events will fail")
        else:
            loaded += 1
    progress(f"loaded {loaded} of {len(specs)} functions")
    return invoker


def _start_demo_page(port: int | None, api_origin: str) -> DemoServer:
    """``DEMO_PORT`` if set (it must be free); else 3001, or any free port when 3001 is taken."""
    if port is not None:
        return start_demo(port, api_origin)
    try:
        return start_demo(DEFAULT_DEMO_PORT, api_origin)
    except OSError:
        return start_demo(0, api_origin)


def _start_realtime(stack: Stack, invoker: Invoker, ws_port: int | None) -> Realtime | None:
    """The WebSocket API on ``WS_PORT`` (default 3002, else any free port); its URLs go to the functions' env."""
    try:
        realtime = start_realtime(stack, invoker.invoke, port=DEFAULT_WS_PORT if ws_port is None else ws_port)
    except OSError:
        if ws_port is not None:
            raise
        realtime = start_realtime(stack, invoker.invoke, port=0)
    if realtime is not None:
        os.environ["REALTIME_MANAGEMENT_URL"] = realtime.management.url
        os.environ["REALTIME_WEBSOCKET_URL"] = realtime.websocket_url
        progress(f"WebSocket API on {realtime.websocket_url}  (Management API {realtime.management.url})")
    return realtime


def run(cleanup: ExitStack, port: int, moto_port: int, demo_port: int | None = None) -> None:
    """Start every part, registering its stop on ``cleanup``; returns once the stack is serving."""
    from moto.server import ThreadedMotoServer

    check_port("PORT", port)
    check_port("MOTO_PORT", moto_port)
    if demo_port is not None:
        check_port("DEMO_PORT", demo_port)
    (state_dir() / "demo.json").unlink(missing_ok=True)
    try:
        state = load(state_dir())
    except CorruptSnapshot as exc:
        raise StartupError(str(exc)) from exc
    stack = Stack(load_template(), parameters=local_parameters())
    serialize_dynamodb()  # moto's DynamoDB is not thread-safe; our threads write concurrently
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    cleanup.callback(moto.stop)
    endpoint = "http://{}:{}".format(*moto.get_host_and_port())
    use_fake_aws(endpoint)
    progress(f"moto server on {endpoint}")
    saver = Saver(stack, endpoint, state_dir(), lambda: 0)
    cleanup.callback(saver.stop)  # runs after everything started later has stopped, before moto stops

    created = create_all(stack, endpoint)
    progress(f"created {_created_summary(stack, created)}")
    if state is not None:
        counts = restore(stack, endpoint, state)
        progress(
            f"restored {state_dir() / FILE_NAME}: {counts['items']} items, {counts['objects']} objects, "
            f"{counts['messages']} queued messages"
        )
    skipped = ", ".join(f"{len(ids)} {kind}{'s' if len(ids) > 1 else ''}" for kind, ids in cloud_only(stack).items())
    if skipped:
        progress(f"AWS only, not created locally: {skipped}")
    specs = functions(stack)
    invoker = load_functions(stack, specs, endpoint)
    compact_functions_log()
    saver.activity = lambda: invoker.invocations
    ws_port = int(os.environ["WS_PORT"]) if os.environ.get("WS_PORT") else None
    if ws_port is not None:
        check_port("WS_PORT", ws_port)
    realtime = _start_realtime(stack, invoker, ws_port)
    if realtime is not None:
        cleanup.callback(realtime.stop)
    urls = {"REALTIME_MANAGEMENT_URL": realtime.management.url} if realtime else {}
    sam_env_path = write_sam_env(state_dir(), stack, specs, endpoint, urls)

    pollers = PollerGroup(build_pollers(stack, specs, invoker.invoke, endpoint, long_poll_seconds=1))
    pollers.start()
    cleanup.callback(pollers.stop)
    names = ", ".join(p.name for p in pollers.pollers)
    progress(f"event-source pollers: {names}" if names else "no SQS or stream event sources in the template")
    if interval := trim_interval(os.environ.get("LOCAL_MALLOC_TRIM_SECONDS")):
        cleanup.callback(Trimmer(interval).start().stop)

    server = start_server(Gateway(stack, specs, invoker), port=port)
    cleanup.callback(server.server_close)
    cleanup.callback(server.shutdown)
    origin = f"http://127.0.0.1:{server.port}"
    demo_page = _start_demo_page(demo_port, origin)
    cleanup.callback(demo_page.server_close)
    cleanup.callback(demo_page.shutdown)
    websocket_url = realtime.websocket_url if realtime else ""
    saved = (state or {}).get("demo")
    if saved:
        demo = reuse(saved, f"{origin}/api", demo_page.origin, websocket_url)
        progress(f"kept demo company {demo.company_id} (same key and ids as before the restart)")
    else:
        demo = seed(f"{origin}/api", demo_page.origin, websocket_url)
        progress(f"seeded demo company {demo.company_id}")
    demo_page.agent_id = demo.agent_id
    demo_page.websocket_url = demo.websocket_url
    saver.arm(demo_values(demo), snapshot_interval(os.environ.get("LOCAL_SNAPSHOT_SECONDS")))
    path = write_demo(demo)
    progress(f"API on {origin}  (health: {origin}/health)")
    print(next_steps(demo, path, endpoint, sam_env_path))


def _created_summary(stack: Stack, created: list[str]) -> str:
    """``1 table, 6 queues, ...``: what ``create_all`` made, by kind."""
    kinds: dict[str, int] = {}
    for logical_id in created:
        kind = KINDS[stack.resources[logical_id]["Type"]]
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in kinds.items())


def next_steps(demo: Demo, demo_json: Any, endpoint: str, sam_env_path: Any) -> str:
    """What to do now that the stack is up: the URLs, the demo credentials, where they are, how to start over."""
    return (
        "\n"
        "Ready. Next steps:\n"
        f"  1. open the widget demo page   {demo.demo_url}\n"
        f"  2. call the API                curl {demo.base_url}/v1/agent/{demo.agent_id}"
        " -H 'X-API-Key: <api key>' -H 'X-API-Secret: <api secret>'\n"
        f"  3. use the demo credentials    {demo_json}  (the SDK, examples and docs read it)\n"
        "\n"
        f"  base URL    {demo.base_url}\n"
        f"  agent id    {demo.agent_id}\n"
        f"  API key     {demo.api_key}\n"
        f"  API secret  {demo.api_secret}\n"
        f"  WebSocket   {demo.websocket_url or '-'}\n"
        f"  moto        AWS_ENDPOINT_URL={endpoint}\n"
        f"  sam local   --env-vars {sam_env_path} --docker-network host\n"
        "\n"
        f"Data is kept in {state_dir()} across restarts; `make reset` (with the stack stopped) starts clean.\n"
        "Press Ctrl-C to stop."
    )


def main() -> int:
    _configure_output()
    signal.signal(signal.SIGTERM, _interrupt)
    port = int(os.environ.get("PORT") or 3000)
    moto_port = int(os.environ.get("MOTO_PORT") or 0)
    demo_port = int(os.environ["DEMO_PORT"]) if os.environ.get("DEMO_PORT") else None
    with ExitStack() as cleanup:
        try:
            run(cleanup, port, moto_port, demo_port)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nstopping…")
        except StartupError as exc:
            print(f"✗ {exc}")
            return 1
        except Exception:  # noqa: BLE001 - report any startup failure plainly, then stop what did start
            traceback.print_exc()
            print("✗ the local stack failed to start")
            return 1
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
    progress("stopped")
    return 0


if __name__ == "__main__":
    code = main()
    # Everything we started is stopped by now. A handler may still be inside a webhook POST or a botocore retry
    # against the stopped moto server on a thread pool's worker, which Python would wait for at exit: don't.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
