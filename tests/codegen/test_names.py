"""Names from a model are sanitised before they reach C++ or TCL."""

import re

import pytest

from snn2fpga.codegen.names import comment_text, identifier

HOSTILE = ["layer 0; rm -rf /", "../../etc/passwd", 'a"b\'c', "class", "0abc", "ünïcödé", "{}$[]", "",
           "__reserved", "x" * 300, "a\nb", "$(reboot)", "main", "a__b"]
SAFE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@pytest.mark.parametrize("name", HOSTILE)
def test_identifier_is_safe(name):
    ident = identifier(name)
    assert SAFE.match(ident) and "__" not in ident and len(ident) <= 48
    assert ident not in {"class", "main"}


def test_identifiers_are_unique():
    taken: set[str] = set()
    idents = [identifier(n, taken) for n in ["a b", "a-b", "a.b", "a_b"]]
    assert len(set(idents)) == 4


def test_comment_text_cannot_close_a_comment():
    assert "*/" not in comment_text("x */ int evil; /* y")
    assert "\n" not in comment_text("a\nb")
