"""Pure domain rules shared by services and the store (no I/O, no imports from above)."""
