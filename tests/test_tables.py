"""``benchmarks/tables.py``: the README tables of recorded figures are the ones generated from the result JSON.
Reads JSON and markdown only."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("jaxreg_benchmarks_tables", REPO / "benchmarks" / "tables.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


tables = _load()


def test_readme_tables_are_up_to_date():
    assert tables.check(REPO / "README.md") == [], "run: python benchmarks/tables.py"
    assert tables.main(["--check"]) == 0


@pytest.mark.parametrize("name", sorted(tables.TABLES))
def test_a_hand_edited_figure_is_reported(tmp_path, name):
    text = (REPO / "README.md").read_text()
    block = next(m for m in tables.BLOCK.finditer(text) if m.group(1) == name)
    body = block.group(0).split("\n", 3)[3]  # after the marker, the header and the |---| line
    digit = re.search(r"(?<=\.)\d", body)  # a decimal of the first figure
    i = block.start() + len(block.group(0)) - len(body) + digit.start()
    readme = tmp_path / "README.md"
    readme.write_text(text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:])
    assert tables.check(readme) == [name]
    assert tables.main(["--check", "--readme", str(readme)]) == 1
    assert tables.main(["--readme", str(readme)]) == 0  # regenerating repairs it
    assert readme.read_text() == text


def test_every_table_has_its_sources_and_every_marker_a_table():
    for name, (sources, fn) in tables.TABLES.items():
        assert sources and callable(fn)
        for source in sources:
            assert (tables.RESULTS / source).is_file(), f"{name}: no {source}"
    text = (REPO / "README.md").read_text()
    names = tables.markers(text)  # raises for an unpaired marker or an unknown name
    assert len(names) == len(set(names)) == text.count("<!-- table: ") == text.count(tables.END)
    assert set(names) == set(tables.TABLES), "a registered table has no marker in README.md"
    with pytest.raises(ValueError, match="unknown"):
        tables.markers(text + "\n<!-- table: nosuch (x) -->\n| 1 |\n\n<!-- end table -->\n")
    with pytest.raises(ValueError, match="pair"):
        tables.markers(text + "\n<!-- end table -->\n")
