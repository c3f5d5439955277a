"""The REST API's shared package (the API layer): app factory, errors, middleware, deps, one router per resource."""
