"""Build step that pyproject.toml cannot say: the graph goes into the package.

The ontology, the released data and the saved queries live at the top of the repository
(ontology/, data/ without data/submissions/, queries/: the layout their users know), and
nowhere else. Building a wheel copies them into the package as ``compact_kg/_graph/``, where
``compact_kg.paths`` finds them through importlib.resources; MANIFEST.in puts the same
folders into the sdist, so that a wheel built from the sdist has them too. An editable
install (``pip install -e .``) copies nothing: it reads the files of the source tree.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: The folders shipped as package data, and what is left out of them.
GRAPH_FOLDERS = ("ontology", "data", "queries")
LEFT_OUT = ("data/submissions",)
TARGET = Path("compact_kg") / "_graph"


def graph_files() -> list[Path]:
    """The files to ship, relative to the repository, in a stable order."""
    files = []
    for folder in GRAPH_FOLDERS:
        for path in sorted((HERE / folder).rglob("*")):
            relative = path.relative_to(HERE)
            if path.is_file() and not any(relative.is_relative_to(out) for out in LEFT_OUT) \
                    and "__pycache__" not in relative.parts:
                files.append(relative)
    return files


class BuildWithGraph(build_py):
    """build_py that also copies the graph's folders into ``compact_kg/_graph/``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # the source tree is read in place
            return
        shutil.rmtree(Path(self.build_lib) / TARGET, ignore_errors=True)  # no stale copies
        for relative in graph_files():
            target = Path(self.build_lib) / TARGET / relative
            self.mkpath(str(target.parent))
            self.copy_file(str(HERE / relative), str(target), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs
        return [*outputs, *(str(Path(self.build_lib) / TARGET / rel) for rel in graph_files())]


setup(cmdclass={"build_py": BuildWithGraph})
