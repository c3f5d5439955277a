"""WidgetFunction: serves widget.js and the widget's public endpoints (config, handshake)."""
