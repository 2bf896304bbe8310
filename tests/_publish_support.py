"""Shared helpers of the publishing tests: temporary checkouts, built sites, an HTML link
collector. Paths are resolved from this file, never from the working directory."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

from compact_kg.paths import ProjectPaths, default_paths

REPO = default_paths(Path(__file__).resolve().parents[1])
EXTRA = Path(__file__).resolve().parent / "data" / "publish" / "extra.ttl"
EXTRA_QUERY = EXTRA.with_name("test-areas-with-case-studies.rq")


def make_checkout(target: Path, *, extra: bool = True) -> ProjectPaths:
    """A copy of the repository's ontology, data and queries, plus the test-only data."""
    for folder in ("ontology", "data", "queries"):
        source = REPO.root / folder
        if source.is_dir():
            shutil.copytree(source, target / folder)
    (target / "data").mkdir(exist_ok=True)
    if extra:
        (target / "data" / "test-extra").mkdir()
        shutil.copy(EXTRA, target / "data" / "test-extra" / "extra.ttl")
        (target / "queries").mkdir(exist_ok=True)
        shutil.copy(EXTRA_QUERY, target / "queries" / EXTRA_QUERY.name)
    return ProjectPaths(target)


class PageParser(HTMLParser):
    """Collects links, script elements and text of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("href", "src"):
            if found.get(name):
                self.links.append(found[name] or "")
        if tag == "script":
            self._script = found
            self._script_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._script_text)))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text.append(data)
        else:
            self.text.append(data)


def parse_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def broken_links(site: Path) -> list[str]:
    """Every relative href/src of every HTML page whose target file does not exist."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        for link in parse_page(page).links:
            if "://" in link or link.startswith(("mailto:", "#", "data:", "javascript:")):
                continue
            target = link.split("#", 1)[0].split("?", 1)[0]
            if not target:
                continue
            if target.startswith("/"):
                broken.append(f"{page.relative_to(site)}: absolute path {link}")
                continue
            resolved = (page.parent / target).resolve()
            if not resolved.is_file() or site.resolve() not in resolved.parents:
                broken.append(f"{page.relative_to(site)}: {link}")
    return broken
