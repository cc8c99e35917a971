"""The packages import one way (DESIGN.md): cells, engine, layers, data, models, decoding,
analysis, training, tasks, cli; a package never imports one after it, not even inside a
function, and the top-level modules (errors, files, devices, figures) import no package."""
import re
from pathlib import Path

import rnnkit

ORDER = ["cells", "engine", "layers", "data", "models", "decoding", "analysis", "training", "tasks", "cli"]
ROOT = Path(rnnkit.__file__).parent
IMPORT = re.compile(r"^\s*(?:from|import) rnnkit\.(\w+)", re.M)


def test_every_package_imports_only_those_before_it():
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        package = parts[0] if len(parts) > 1 else None
        if package is None and path.name == "__init__.py":
            continue                       # rnnkit/__init__.py gathers the public API
        for dependency in IMPORT.findall(path.read_text()):
            if dependency not in ORDER:
                continue
            if package is None or ORDER.index(dependency) > ORDER.index(package):
                wrong.append(f"{path.relative_to(ROOT.parent)} imports rnnkit.{dependency}")
    assert sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()) == sorted(ORDER)
    assert not wrong, "\n".join(wrong)
