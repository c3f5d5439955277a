"""Integration tests: the whole local stack (``python -m local``) as a subprocess, over HTTP."""
