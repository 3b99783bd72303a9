"""Imported by the fork server that starts page-cleaning child processes (see ``guard`` and
``process.guarded_cleaner``): it imports what a child needs (``process`` builds a batch's page
processor) and builds what every page needs, so each child forked from it starts with both."""
from decruft.ingest import process  # noqa: F401
from decruft.page import warm_up

warm_up()
