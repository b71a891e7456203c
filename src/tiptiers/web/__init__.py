"""FastAPI adapter: HTML pages (Jinja2) and their JSON twins under /api/v1."""
