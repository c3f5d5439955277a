"""Response models: the JSON every API operation returns, one module per resource."""
