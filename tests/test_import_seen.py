"""The compact key -> first line table of an import's duplicate check."""

from accord.plugins.import_csv.seen import KeyLines


def test_keys_and_first_lines_survive_growth():
    seen = KeyLines(capacity=4)
    for n in range(5000):
        assert seen.setdefault(f"k{n}@example.com", n + 2) == n + 2
    assert len(seen) == 5000
    for n in range(5000):
        assert seen.get(f"k{n}@example.com") == n + 2
        assert seen.setdefault(f"k{n}@example.com", 99999) == n + 2  # the first line stays
    assert seen.get("nobody@example.com") is None
    assert seen.setdefault(0, 7) == 7 and seen.get(0) == 7  # an int whose hash is 0
    assert seen.setdefault(-1, 9) == 9 and seen.get(-2) is None  # hash(-1) == hash(-2)
    assert seen.setdefault('{"a": 1}', 8) == 8 and seen.get('{"a": 1}') == 8
