"""One router per resource; each route parses, calls one core service method, and returns its dict."""
