"""Colander schemas: API bodies, query strings and (later) forms."""
