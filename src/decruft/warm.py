"""Imported by the fork server that starts page-cleaning child processes (``guard``): it imports
what a child needs (``ingest`` builds a batch's page processor) and builds what every page needs,
so each child forked from it starts with both."""
from . import ingest  # noqa: F401
from .pipeline import warm_up

warm_up()
