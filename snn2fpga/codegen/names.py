"""Sanitise names that come from a model before they become C++, SystemVerilog or TCL identifiers."""

from __future__ import annotations

import re

MAX_IDENT = 48
_CXX_RESERVED = frozenset("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char16_t char32_t class compl
const constexpr const_cast continue decltype default delete do double dynamic_cast else enum explicit
export extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast return short signed sizeof
static static_assert static_cast struct switch template this thread_local throw true try typedef typeid
typename union unsigned using virtual void volatile wchar_t while xor xor_eq main std hls ap_int ap_uint
in out set proc puts source exit
""".split())
# SystemVerilog keywords (and Verilator-reserved names), avoided as well in the RTL top's identifiers.
SV_RESERVED = _CXX_RESERVED | frozenset("""
always always_comb always_ff assign begin bit buf casez casex cell config deassign defparam design disable
edge end endcase endfunction endgenerate endmodule endtask event final force forever fork function generate
genvar initial inout input integer join large localparam logic macromodule medium module nand negedge nmos
nor not notif0 notif1 or output parameter posedge primitive pull0 pull1 pulldown pullup real realtime reg
release repeat rtran scalared small specify string strong0 strong1 supply0 supply1 table task time tran tri
type unique uwire vectored wait wand weak0 weak1 wire wor xnor interface package program property sequence
assert assume cover clocking chandle byte shortint longint import export
""".split())


def identifier(name: str, taken: set[str] | None = None, reserved: frozenset[str] = _CXX_RESERVED) -> str:
    """A safe C++/TCL identifier for ``name`` (``reserved=SV_RESERVED``: SystemVerilog too): [A-Za-z][A-Za-z0-9_]*,
    no keyword, no ``__``, unique in ``taken``.

    Anything else (quotes, spaces, braces, ``$``, ``;``, non-ASCII, ...) becomes ``_``; the result
    is recorded in ``taken`` when given.
    """
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name)
    ident = re.sub(r"_+", "_", ident).strip("_")
    if not ident or not ident[0].isalpha():
        ident = f"n_{ident}" if ident else "n"
    ident = ident[:MAX_IDENT].rstrip("_") or "n"
    if ident in reserved:
        ident = f"{ident}_id"
    if taken is not None:
        base, k = ident, 2
        while ident in taken:
            ident = f"{base[: MAX_IDENT - 4]}_{k}"
            k += 1
        taken.add(ident)
    return ident


def comment_text(text: str) -> str:
    """Text safe inside a C/C++ ``//`` or ``/* */`` comment and a TCL ``#`` comment (one line, printable)."""
    flat = "".join(c if c.isprintable() and c.isascii() else "?" for c in text.replace("\n", " "))
    return flat.replace("*/", "* /").replace("\\", "/")[:200]
