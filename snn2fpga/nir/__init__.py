"""NIR (Neuromorphic Intermediate Representation) import and export.

`import_nir` maps a NIR graph (snnTorch, Norse, Sinabs, ... exports) onto our layers, quantizes and
calibrates it and writes an ordinary checkpoint; `export_nir` writes one of our models as a NIR graph.
The mapping rules are in :mod:`snn2fpga.nir.semantics`. Needs the optional `nir` package.
"""

from snn2fpga.nir.importer import ImportOptions, ImportResult, import_nir
from snn2fpga.nir.semantics import PRESETS, NIRRefusal, Preset

__all__ = ["PRESETS", "ImportOptions", "ImportResult", "NIRRefusal", "Preset", "import_nir"]
