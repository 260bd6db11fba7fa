"""The framework's ceiling: the cheapest authenticated DRF write, one row per request."""
