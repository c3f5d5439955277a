"""The client package (``from knowrithm_py.knowrithm.client import KnowrithmClient``)."""
