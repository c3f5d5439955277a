"""One service per API area, attached to :class:`~knowrithm_py.knowrithm.client.KnowrithmClient`."""
