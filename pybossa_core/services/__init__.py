"""Domain rules and shared-state back ends; never given a request."""
