"""``python -m scograph.store.query_worker``: started by the pool (see :func:`loop.main`)."""

import sys

from scograph.store.query_worker.loop import main

main(sys.argv)
