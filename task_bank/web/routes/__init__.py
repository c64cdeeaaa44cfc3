"""The routers: the HTML pages, the environments pages, and the JSON API."""
