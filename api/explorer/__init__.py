"""The web explorer: a static page at `/explorer` that searches and shows assets through the public API only."""
