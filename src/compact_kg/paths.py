"""Where the project's files live: ontology/, data/ and queries/.

The folders sit at the top of the checkout, beside ``src/``. They are found from this
file's location (an editable install or a run from the checkout), or from the
``COMPACT_KG_HOME`` environment variable, read by the CLI only and passed in here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProjectPaths", "default_paths"]

_CHECKOUT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ProjectPaths:
    """The folders and files of one compact-kg checkout."""

    root: Path

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def ontology_file(self) -> Path:
        return self.ontology_dir / "compact.ttl"

    @property
    def shapes_file(self) -> Path:
        return self.ontology_dir / "shapes.ttl"

    @property
    def vocabulary_files(self) -> list[Path]:
        return sorted((self.ontology_dir / "vocabularies").glob("*.ttl"))

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    def data_files(self) -> list[Path]:
        """Every Turtle file of the dataset, in a stable order."""
        return sorted(self.data_dir.rglob("*.ttl"))

    def model_files(self) -> list[Path]:
        """The ontology and its SKOS vocabularies (not the shapes)."""
        return [self.ontology_file, *self.vocabulary_files]


def default_paths(root: str | Path | None = None) -> ProjectPaths:
    """Paths of the checkout at ``root``, or of the checkout this package was installed from."""
    return ProjectPaths(Path(root).resolve() if root is not None else _CHECKOUT)
