"""Imported by the fork server that starts page worker processes (see ``guard`` and
``workers.guarded_stream``): it imports what a child needs (``scan`` and ``process`` build the
per-page functions) and builds what every page needs, so each child forked from it starts with both.

What is built here is then frozen out of the garbage collector's reach: a collection in a child
would otherwise write to every inherited object (hundreds of MB, the language profiles above
all) and so copy the whole shared heap into each child.
"""
import gc

from decruft.ingest import process, scan  # noqa: F401
from decruft.page import warm_up

warm_up()
gc.freeze()
