"""A small thread-safe least-recently-used cache for values derived from text only.

The model's frozen parts make some results a pure function of the candidate text: the projected
text embedding of a prompt, and the cosines between a text embedding and every reference ECG. The
app ranks the same candidate lists on every record, so `rank` keeps these in an `LRUCache` owned
by the model (`LoadedModel.text_embeddings`) or by its reference bank
(`ReferenceBank.text_cosines`): other weights or another bank never see them. Nothing derived
from an ECG being read goes in (the keys are prompt text or a text embedding's bytes).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class LRUCache(Generic[Value]):
    """Bounded mapping key -> value, least recently used dropped first; safe across threads.

    Args:
        max_entries: the most values kept (the oldest are dropped beyond it).
    """

    def __init__(self, max_entries: int = 1024):
        self.max_entries = max_entries
        self._store: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()
        self.misses = 0  # how many values were computed (for tests and benchmarks)

    def __len__(self) -> int:
        return len(self._store)

    def keys(self) -> list[Hashable]:
        """The keys held, oldest first (a copy)."""
        with self._lock:
            return list(self._store)

    def get_or_compute(self, key: Hashable, compute: Callable[[], Value]) -> Value:
        """The value stored under `key`, computing and storing it on a miss."""
        with self._lock:
            if key in self._store:
                self._store.move_to_end(key)
                return self._store[key]
        value = compute()  # outside the lock: two threads may both compute the same value
        with self._lock:
            self.misses += 1
            self._store[key] = value
            self._store.move_to_end(key)
            while len(self._store) > self.max_entries:
                self._store.popitem(last=False)
        return value

    def clear(self) -> None:
        """Drop every value."""
        with self._lock:
            self._store.clear()
