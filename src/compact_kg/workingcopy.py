"""A working copy: the ontology, data and queries in a folder of one's own, to add to.

``compact-kg init DIR`` writes one from the home in use (the package's own copy, unless
``--home`` or ``COMPACT_KG_HOME`` names another): ontology/, data/ without data/submissions/,
queries/, and a README.md for curators. Every command then works on it with
``--home DIR``, with ``COMPACT_KG_HOME=DIR``, or when run inside DIR.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from compact_kg.errors import InputError
from compact_kg.paths import ProjectPaths

__all__ = ["init_working_copy"]

#: The folders of a home, copied as they are (data/submissions/ is left out).
FOLDERS = ("ontology", "data", "queries")

README = """\
# A compact-kg working copy

This folder is a copy of the compact-kg knowledge graph that you can add to: the ontology and
its shapes (`ontology/`), the case studies and reference data (`data/`) and the saved SPARQL
queries (`queries/`). It was written by `compact-kg init` from {origin}.

## Use this copy

Every command works on this folder when you run it here (or in a folder below it), when you
name it with `--home`, or when the environment variable `COMPACT_KG_HOME` holds its path:

```sh
cd {folder}
compact-kg validate
compact-kg --home {folder} query --list
export COMPACT_KG_HOME={folder}
```

Anywhere else, compact-kg reads the copy of the graph that came with the package, which
cannot be changed. `compact-kg --version` and the first line of `compact-kg validate` say
which copy a command reads.

## Add a case study

1. Write it. Either `compact-kg new case-study --area AREA --out my-case-study.ttl` writes a
   Turtle file to fill in (every value to supply contains TODO, and the comments explain each
   field); or `compact-kg new workbook my-case-study.xlsx` writes an Excel workbook with
   drop-down lists, and `compact-kg new form my-form` CSV forms, which
   `compact-kg convert ... --out my-case-study.ttl` turns into Turtle (validate and submit
   read a filled workbook or form folder as they are, too).
2. Check it: `compact-kg validate my-case-study.ttl`. Each problem is reported with its line
   and what to do; fix them and run it again until it says the submission conforms.
3. Store it: `compact-kg submit my-case-study.ttl` checks it again and writes it into
   `data/submissions/` of this copy. It then appears in `compact-kg query` results, in
   `compact-kg publish --out site` and in `compact-kg serve`.

`compact-kg validate` with no file checks the whole copy. Files in `data/` are yours to edit,
and `compact-kg diff OLD NEW` lists what changed between two copies.
"""


def _ignoring_submissions(data_dir: Path):  # -> a copytree ignore function
    """Leave out data/submissions/ (not released) and Python caches."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        ignored = {name for name in names if name == "__pycache__"}
        if Path(folder) == data_dir:
            ignored |= {name for name in names if name == "submissions"}
        return ignored
    return ignore


def init_working_copy(target: Path, source: ProjectPaths) -> list[Path]:
    """Write a working copy of ``source`` into ``target`` (new, or an empty folder).

    The copy is made beside ``target`` and moved into place in one step, so an interrupted
    init leaves no half-written folder. Returns the top-level paths written.
    """
    source.check()
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(f"{target}: the folder is not empty; compact-kg init writes only "
                         "into a new or empty folder",
                         hint="Choose another folder, e.g. compact-kg init my-compact-kg")
    parent = target.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".compact-kg-init-", dir=parent))
    except OSError as error:
        raise InputError(f"{target}: cannot create the folder ({error.strerror or error})",
                         hint="Choose a folder you can write to") from None
    try:
        for folder in FOLDERS:
            shutil.copytree(source.root / folder, staging / folder,
                            ignore=_ignoring_submissions(source.data_dir))
        origin = ("the copy that comes with the compact-kg package" if source.is_package_copy
                  else f"the working copy {source.root}")
        (staging / "README.md").write_text(
            README.format(origin=origin, folder=target.absolute()), encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp made it private
        staging.replace(target)  # onto a new name or an empty folder
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise InputError(f"{target}: cannot write the working copy ({error.strerror or error})",
                         hint="Choose a folder you can write to") from None
    return [target / name for name in (*FOLDERS, "README.md")]
