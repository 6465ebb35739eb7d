"""SCP-ECG Huffman tables (section 2) and a table-driven decoder for sections 5 and 6.

A Huffman code in SCP-ECG is a prefix of up to 16 bits. Each table entry either stands for a
value itself (`base_value`), or is followed by `total_bits - prefix_bits` raw bits that hold the
value as a two's complement number, or (table mode 0) switches to another table. Section 2 holds
either the number 19999, meaning the default table of the standard (EN 1064 annex C), or custom
tables whose base codes are stored bit-reversed (the first bit sent is the lowest bit).

Decoding is sequential by nature; it runs one lookup per sample in a table of 2**16 entries
indexed by the next 16 bits, so a 10-s 12-lead record decodes in a few tens of milliseconds.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError

DEFAULT_TABLE_MARKER = 19999
_LOOKUP_BITS = 16
_WINDOW_BITS = 32  # bits visible at once: prefix + raw value must fit


@dataclass(frozen=True)
class HuffmanCode:
    """One row of an SCP-ECG Huffman table.

    Attributes:
        bits: the prefix as transmitted, e.g. "100" (first bit first).
        total_bits: prefix plus the raw value bits that follow it.
        mode: 1 = a value; 0 = switch to table number `base_value` (1-based).
        base_value: the value the prefix stands for when no raw bits follow.
    """

    bits: str
    total_bits: int
    mode: int
    base_value: int


# EN 1064 default table: 0, +-1 .. +-8 by prefix, then 8-bit and 16-bit raw values.
DEFAULT_TABLE: tuple[HuffmanCode, ...] = (
    HuffmanCode("0", 1, 1, 0),
    HuffmanCode("100", 3, 1, 1),
    HuffmanCode("101", 3, 1, -1),
    HuffmanCode("1100", 4, 1, 2),
    HuffmanCode("1101", 4, 1, -2),
    HuffmanCode("11100", 5, 1, 3),
    HuffmanCode("11101", 5, 1, -3),
    HuffmanCode("111100", 6, 1, 4),
    HuffmanCode("111101", 6, 1, -4),
    HuffmanCode("1111100", 7, 1, 5),
    HuffmanCode("1111101", 7, 1, -5),
    HuffmanCode("11111100", 8, 1, 6),
    HuffmanCode("11111101", 8, 1, -6),
    HuffmanCode("111111100", 9, 1, 7),
    HuffmanCode("111111101", 9, 1, -7),
    HuffmanCode("1111111100", 10, 1, 8),
    HuffmanCode("1111111101", 10, 1, -8),
    HuffmanCode("1111111110", 18, 1, 0),
    HuffmanCode("1111111111", 26, 1, 0),
)

# lookup entry: (prefix length, raw bits after the prefix, base value, mode)
_Entry = tuple[int, int, int, int]


def parse_huffman_tables(body: bytes, name: str) -> list[tuple[HuffmanCode, ...]]:
    """Read section 2: the marker for the default table, or the file's own tables.

    Args:
        body: section 2 without its 16-byte header.
        name: file name for messages.

    Returns:
        The list of tables, table 1 first; `[DEFAULT_TABLE]` for the marker 19999.

    Raises:
        ECGInputError: a table that is cut short or has impossible code lengths.
    """
    if len(body) < 2:
        raise ECGInputError(f"{name}: the Huffman table section (section 2) is empty.")
    (count,) = struct.unpack_from("<H", body, 0)
    if count == DEFAULT_TABLE_MARKER:
        return [DEFAULT_TABLE]
    tables, offset = [], 2
    for _ in range(count):
        if offset + 2 > len(body):
            raise ECGInputError(f"{name}: the Huffman tables in section 2 are cut short.")
        (size,) = struct.unpack_from("<H", body, offset)
        offset += 2
        if offset + 9 * size > len(body):
            raise ECGInputError(f"{name}: the Huffman tables in section 2 are cut short.")
        rows = []
        for _ in range(size):
            prefix, total, mode, base, code = struct.unpack_from("<BBBhI", body, offset)
            offset += 9
            bits = "".join(str((code >> index) & 1) for index in range(prefix))  # bit-reversed
            rows.append(HuffmanCode(bits, total, mode, base))
        tables.append(tuple(rows))
    return tables


@lru_cache(maxsize=8)
def _lookup(table: tuple[HuffmanCode, ...], name: str) -> list[_Entry | None]:
    """A list of 2**16 entries indexed by the next 16 bits of the stream."""
    lookup: list[_Entry | None] = [None] * (1 << _LOOKUP_BITS)
    for row in table:
        prefix = len(row.bits)
        extra = row.total_bits - prefix if row.mode == 1 else 0
        if not 1 <= prefix <= _LOOKUP_BITS or extra < 0 or prefix + extra > _WINDOW_BITS:
            raise ECGInputError(
                f"{name}: a Huffman table in section 2 has a code of {prefix} bits with "
                f"{row.total_bits} bits in all, which SCP-ECG does not allow."
            )
        start = int(row.bits, 2) << (_LOOKUP_BITS - prefix)
        stop = start + (1 << (_LOOKUP_BITS - prefix))
        if any(entry is not None for entry in lookup[start:stop]):
            raise ECGInputError(f"{name}: a Huffman table in section 2 has overlapping codes.")
        lookup[start:stop] = [(prefix, extra, row.base_value, row.mode)] * (stop - start)
    return lookup


def decode_huffman(
    data: bytes, count: int, tables: list[tuple[HuffmanCode, ...]], name: str
) -> npt.NDArray[np.int64]:
    """Decode `count` values from one lead's Huffman-coded bytes (first bit = highest bit).

    Args:
        data: the lead's bytes from section 5 or 6.
        count: how many values the lead holds (from sections 3 and 4).
        tables: Huffman tables from `parse_huffman_tables`; decoding starts with table 1.
        name: file name for messages.

    Returns:
        int64 array of shape (count,), still differenced if the section says so.

    Raises:
        ECGInputError: a bit pattern that no code matches, or data that ends too early.
    """
    lookups = [_lookup(table, name) for table in tables]
    lookup = lookups[0]
    padded = np.frombuffer(bytes(data) + bytes(5), dtype=np.uint8).astype(np.int64)
    # 40 bits starting at each byte, so any 32-bit window is one shift away
    starts = (padded[:-4] << 32) | (padded[1:-3] << 24) | (padded[2:-2] << 16)
    starts = (starts | (padded[3:-1] << 8) | padded[4:]).tolist()
    total_bits, position, values = 8 * len(data), 0, [0] * count
    index = 0
    while index < count:
        if position >= total_bits:
            raise ECGInputError(
                f"{name}: a lead's compressed data ends after {index} of {count} samples; "
                "the file is damaged or was written incompletely."
            )
        window = (starts[position >> 3] >> (8 - (position & 7))) & 0xFFFFFFFF
        entry = lookup[window >> (_WINDOW_BITS - _LOOKUP_BITS)]
        if entry is None:
            raise ECGInputError(
                f"{name}: a lead's compressed data holds a bit pattern that the Huffman table "
                "does not define; the file is damaged or uses a table METS cannot read."
            )
        prefix, extra, base, mode = entry
        if mode == 0:
            lookup = _switch_table(lookups, base, name)
            position += prefix
            continue
        if extra:
            raw = (window >> (_WINDOW_BITS - prefix - extra)) & ((1 << extra) - 1)
            base = raw - (1 << extra) if raw >> (extra - 1) else raw
        values[index] = base
        position += prefix + extra
        index += 1
    return np.asarray(values, dtype=np.int64)


def _switch_table(lookups: list[list[_Entry | None]], number: int, name: str) -> list:
    if not 1 <= number <= len(lookups):
        raise ECGInputError(
            f"{name}: the compressed data switches to Huffman table {number}, but section 2 "
            f"defines {len(lookups)} table(s); the file is damaged."
        )
    return lookups[number - 1]
