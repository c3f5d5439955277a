"""knowrithm_core: the domain of the Knowrithm-compatible backend.

Framework-free (never imports FastAPI); AWS access goes through the adapters in
``knowrithm_core.store``. Handlers in ``functions/`` parse events, call the
services wired in ``knowrithm_core.container`` and shape responses.
"""

__version__ = "0.1.0"
