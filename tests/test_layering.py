"""The packages import one way (DESIGN.md): cells, engine, layers, data, models, decoding,
analysis, training, tasks, cli, integrations; a package never imports one after it, not even inside a
function, and the top-level modules (errors, files, devices, figures) import no package.
``training/``, ``decoding/`` and ``cli/`` hold what several applications share: they import no
application's slice (only ``rnnkit.tasks``' shared modules and its registry) and name no task."""
import re
import shutil
from pathlib import Path

import rnnkit
from rnnkit.tasks import TASKS

ORDER = ["cells", "engine", "layers", "data", "models", "decoding", "analysis", "training", "tasks", "cli",
         "integrations"]
SHARED = ["training", "decoding", "cli"]
TASKS_SHARED = {"base", "options", "config", "budget", "cross_validation", "python", "trained", "run_config"}   # rnnkit.tasks' modules every slice uses
ROOT = Path(rnnkit.__file__).parent
IMPORT = re.compile(r"^\s*(?:from|import) rnnkit\.(\w+)", re.M)
FROM_TOP = re.compile(r"^\s*from rnnkit import \(?([\w, \n]+)\)?", re.M)              # from rnnkit import tasks
FROM_TASKS = re.compile(r"^\s*(?:from|import) rnnkit\.tasks(?:\.(\w+))?(?: import \(?([\w, \n]+)\)?)?", re.M)


def imported_packages(text: str) -> list[str]:
    names = IMPORT.findall(text)
    for group in FROM_TOP.findall(text):
        names += [n.strip() for n in group.replace("\n", ",").split(",") if n.strip()]
    return [n for n in names if n in ORDER]


def application_references(text: str) -> list[str]:
    """What a shared module says of an application: an import of its slice, its Task class, or its
    name as a string."""
    found = []
    for module, names in FROM_TASKS.findall(text):
        if module and module not in TASKS_SHARED:
            found.append(f"rnnkit.tasks.{module}")
        found += [n for n in (x.strip() for x in names.replace("\n", ",").split(",")) if n.endswith("Task")
                  and n != "Task"]
    found += [m for m in re.findall(r"""["'](\w+)["']""", text) if m in TASKS]
    return found


def layering_errors(root: Path) -> list[str]:
    wrong = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        package = parts[0] if len(parts) > 1 else None
        if package is None and path.name == "__init__.py":
            continue                       # rnnkit/__init__.py gathers the public API
        text = path.read_text()
        where = path.relative_to(root.parent)
        for dependency in imported_packages(text):
            if package is None or ORDER.index(dependency) > ORDER.index(package):
                wrong.append(f"{where} imports rnnkit.{dependency}")
        if package in SHARED:
            wrong += [f"{where} names the application {name}" for name in application_references(text)]
    return wrong


def test_every_package_imports_only_those_before_it_and_shared_packages_name_no_application():
    assert sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()) == sorted(ORDER)
    wrong = layering_errors(ROOT)
    assert not wrong, "\n".join(wrong)


def test_a_planted_import_breaks_the_layering(tmp_path):
    root = tmp_path / "rnnkit"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    assert layering_errors(root) == []
    plants = {
        "training/planted.py": ("from rnnkit.tasks.forecasting.metrics import series_metrics\n",
                                "rnnkit/training/planted.py imports rnnkit.tasks"),
        "training/planted_top.py": ("def f():\n    from rnnkit import tasks\n",
                                    "rnnkit/training/planted_top.py imports rnnkit.tasks"),
        "cli/planted.py": ("from rnnkit.tasks.forecasting import ForecastTask\n",
                           "rnnkit/cli/planted.py names the application rnnkit.tasks.forecasting"),
        "cli/planted_name.py": ("from rnnkit.tasks import ForecastTask, get_task\nTASK = get_task('lm')\n",
                                "rnnkit/cli/planted_name.py names the application ForecastTask"),
        "decoding/planted.py": ("WHICH = \"caption\"\n", "rnnkit/decoding/planted.py names the application caption"),
        "models/planted.py": ("import rnnkit.decoding\n", "rnnkit/models/planted.py imports rnnkit.decoding"),
    }
    for name, (code, expected) in plants.items():
        (root / name).write_text(code)
        assert expected in layering_errors(root), name
        (root / name).unlink()
    assert layering_errors(root) == []
