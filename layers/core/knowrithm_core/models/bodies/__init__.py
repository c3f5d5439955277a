"""Request bodies, one module per resource group, so a router imports only its own (see ``models.requests``)."""
