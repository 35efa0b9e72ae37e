"""A realistic, deterministic simulator of a year of events for Yueyang's units.

``generate`` yields CloudEvents 1.0 dicts in time order; ``write_jsonl`` writes them as
JSON Lines with optional duplicates, malformed lines and shuffling; ``live`` paces a
year for the demo.  See ``govmon simulate --help``.
"""

from govmon.simulate.generator import generate
from govmon.simulate.live import live
from govmon.simulate.writer import Stats, write_jsonl

__all__ = ["Stats", "generate", "live", "write_jsonl"]
