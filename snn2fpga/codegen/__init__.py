"""Hardware graph -> HLS project (Jinja templates), C-simulation harness and runner."""
