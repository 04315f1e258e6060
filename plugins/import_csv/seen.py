"""The match keys met so far in a file, with the line of each first occurrence.

A dict of a million int -> int costs ~100 MB (an int object per key and per line); two
flat arrays with open addressing cost 12 bytes a slot (~25 MB at a million keys), which
keeps a 1M-row import under its memory target. Keys are 64-bit hashes of the casefolded
match value (a collision between two different values is negligible at these sizes).
"""

from array import array

_EMPTY = 0


class KeyLines:
    def __init__(self, capacity=1 << 16):
        self._size = 1 << max(4, (capacity - 1).bit_length())
        self._keys = array("q", bytes(8 * self._size))
        self._lines = array("l", bytes(array("l").itemsize * self._size))
        self._count = 0

    def __len__(self):
        return self._count

    @staticmethod
    def _hash(key):
        # Strings hash well; an int's hash is itself (and hash(-1) == hash(-2)).
        h = hash(key if isinstance(key, str) else f"{type(key).__name__}:{key!r}")
        return h if h != _EMPTY else 1

    def get(self, key):
        """The line first seen with `key`, or None."""
        h = self._hash(key)
        keys, mask = self._keys, self._size - 1
        i = h & mask
        while True:
            k = keys[i]
            if k == h:
                return self._lines[i]
            if k == _EMPTY:
                return None
            i = (i + 1) & mask

    def setdefault(self, key, line):
        """Remember `line` for `key` unless the key is known; returns the first line."""
        h = self._hash(key)
        keys, mask = self._keys, self._size - 1
        i = h & mask
        while True:
            k = keys[i]
            if k == h:
                return self._lines[i]
            if k == _EMPTY:
                break
            i = (i + 1) & mask
        keys[i] = h
        self._lines[i] = line
        self._count += 1
        if self._count * 2 > self._size:
            self._grow()
        return line

    def _grow(self):
        old_keys, old_lines = self._keys, self._lines
        self.__init__(self._size * 2)
        for k, line in zip(old_keys, old_lines, strict=True):
            if k != _EMPTY:
                self._put_hash(k, line)

    def _put_hash(self, h, line):
        keys, mask = self._keys, self._size - 1
        i = h & mask
        while keys[i] != _EMPTY:
            i = (i + 1) & mask
        keys[i] = h
        self._lines[i] = line
        self._count += 1
