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
from local.memory import Trimmer, trim_interval
from local.moto_safety import serialize_dynamodb
from local.pollers import PollerGroup, build_pollers
from local.resources import cloud_only, create_all
from local.sam_env import write_sam_env
from local.seed import seed, state_dir, write_demo
from local.server import Gateway, start_server
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
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("local").setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log


def load_functions(stack: Stack, specs: dict[str, FunctionSpec], endpoint: str) -> Invoker:
    """Set every function's environment on this process and import each handler once (a warm container)."""
    variables, conflicts = merged_environment(specs.values())
    for conflict in conflicts:
        print(f"! {conflict}")
    apply_environment(with_queue_urls(variables, stack, endpoint))
    invoker = Invoker(stack, specs)
    for logical_id, spec in specs.items():
        try:
            invoker.handler(logical_id)
        except Exception as exc:  # noqa: BLE001 - one broken function must not keep the others from running
            print(f"✗ cannot load {logical_id} ({spec.handler}): {exc!r}; its requests and events will fail")
        else:
            progress(f"loaded {logical_id} ({spec.handler})")
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
    serialize_dynamodb()  # moto's DynamoDB is not thread-safe; our threads write concurrently
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    cleanup.callback(moto.stop)
    endpoint = "http://{}:{}".format(*moto.get_host_and_port())
    use_fake_aws(endpoint)
    progress(f"moto server on {endpoint}")

    stack = Stack(load_template(), parameters=local_parameters())
    for logical_id in create_all(stack, endpoint):
        progress(f"created {KINDS[stack.resources[logical_id]['Type']]} {stack.physical_name(logical_id)}")
    skipped = ", ".join(f"{len(ids)} {kind}{'s' if len(ids) > 1 else ''}" for kind, ids in cloud_only(stack).items())
    if skipped:
        progress(f"AWS only, not created locally: {skipped}")
    specs = functions(stack)
    sam_env_path = write_sam_env(state_dir(), stack, specs, endpoint)
    invoker = load_functions(stack, specs, endpoint)
    ws_port = int(os.environ["WS_PORT"]) if os.environ.get("WS_PORT") else None
    if ws_port is not None:
        check_port("WS_PORT", ws_port)
    realtime = _start_realtime(stack, invoker, ws_port)
    if realtime is not None:
        cleanup.callback(realtime.stop)

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
    demo = seed(f"{origin}/api", demo_page.origin, realtime.websocket_url if realtime else "")
    demo_page.agent_id = demo.agent_id
    demo_page.websocket_url = demo.websocket_url
    path = write_demo(demo)
    progress(f"seeded demo company {demo.company_id}")
    progress(f"API on {origin}  (health: {origin}/health)")
    progress(f"widget demo page on {demo.demo_url}  (another origin than the API; widget.js at {origin}/widget.js)")
    print(
        "\n"
        f"  base URL    {demo.base_url}\n"
        f"  agent id    {demo.agent_id}\n"
        f"  API key     {demo.api_key}\n"
        f"  API secret  {demo.api_secret}\n"
        f"  WebSocket   {demo.websocket_url or '-'}\n"
        f"  written to  {path}\n"
        f"  moto        AWS_ENDPOINT_URL={endpoint}\n"
        f"  sam local   --env-vars {sam_env_path} --docker-network host\n"
        "\nPress Ctrl-C to stop."
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
