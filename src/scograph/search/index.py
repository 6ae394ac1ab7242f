"""Reading a release's search index (read-only): full-text search and name candidates.

One SQLite connection per thread (the HTTP server runs requests in a thread pool), opened with
``mode=ro`` so a serving process can never change the release.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from difflib import get_close_matches
from dataclasses import dataclass, field
from pathlib import Path

from scograph.search.highlight import MARK_END, MARK_START, first_marked_line, mark_cjk, window
from scograph.search.matching import expand_abbreviations, normalize, similarity
from scograph.search.query import LATIN_WORD, MAX_PREFIX_WORDS, MAX_QUERY_CHARS, ParsedQuery, parse
from scograph.search.segment import CJK_RUN, bigrams

#: Column weights of bm25 (label, body, cjk_label, cjk_body): a name match beats a mention.
WEIGHTS = (8.0, 1.0, 8.0, 1.0)
VARIANT_SCORE = 99.5
QID = re.compile(r"^Q[1-9][0-9]*$")


class IndexMissing(FileNotFoundError):
    """The release has no search index (built before search existed, or not local)."""


@dataclass
class Hit:
    iri: str
    kind: str
    url: str  # relative to the site root
    label_en: str | None
    label_zh: str | None
    score: float
    lang: str = ""
    label_marked: str = ""  # label text with MARK_START/MARK_END around matches
    snippet_marked: str = ""

    @property
    def labels(self) -> dict[str, str]:
        return {lang: text for lang, text in (("en", self.label_en), ("zh", self.label_zh)) if text}


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    #: "all" (every term matched), "any" (no resource had all terms: any term), "fuzzy" (misspelling).
    mode: str = "all"
    suggestion: str | None = None


@dataclass
class Candidate:
    iri: str
    kind: str
    name: str
    score: float
    label_en: str | None = None
    label_zh: str | None = None
    properties: dict[str, list[str]] = field(default_factory=dict)


class SearchIndex:
    """The index file of one release, opened read-only."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise IndexMissing(f"{self.path} does not exist; rebuild the release with `scograph build --force`")
        self._local = threading.local()
        meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        self.base_iri = meta.get("base_iri", "")
        self.segmenter = meta.get("segmenter", "")
        self._vocabulary: list[str] | None = None
        self._vocabulary_set: set[str] = set()

    @property
    def db(self) -> sqlite3.Connection:
        connection = getattr(self._local, "db", None)
        if connection is None:
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = connection
        return connection

    def close(self) -> None:
        connection = getattr(self._local, "db", None)
        if connection is not None:
            connection.close()
            self._local.db = None

    # -- full-text search ---------------------------------------------------------------

    def search(
        self, text: str, *, kinds: list[str] | None = None, lang: str | None = None, page: int = 1, per_page: int = 20
    ) -> SearchResult:
        """Resources matching every term (else any term, else a close name), best first.

        ``lang`` keeps the matches in one language's text: CJK terms for ``zh``, the others for ``en``.
        """
        parsed = parse(text).in_language(lang)
        if parsed.empty:
            return SearchResult(0, [])
        expansions = self._expand_prefixes(parsed.prefixes)
        exact = normalize(text)
        for mode, expression in (("all", parsed.all_of(expansions)), ("any", parsed.any_of(expansions))):
            if mode == "any" and len(parsed.terms) < 2:
                break
            total, hits = self._run(expression, parsed, kinds, page, per_page, exact)
            if total:
                return SearchResult(total, hits, mode)
        fuzzy = self._fuzzy(text, kinds, lang)
        if fuzzy is not None:
            suggestion, corrected = fuzzy
            total, hits = self._run(corrected.all_of(), corrected, kinds, page, per_page, normalize(suggestion))
            if total:
                return SearchResult(total, hits, "fuzzy", suggestion)
        return SearchResult(0, [])

    def _expand_prefixes(self, prefixes: list[str]) -> dict[str, list[str]]:
        out = {}
        for prefix in prefixes:
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows = self.db.execute(
                "SELECT word FROM words WHERE word LIKE ? ESCAPE '\\' ORDER BY word LIMIT ?", (escaped + "%", MAX_PREFIX_WORDS)
            ).fetchall()
            out[prefix] = [w for (w,) in rows]
        return out

    def _run(self, expression: str, parsed: ParsedQuery, kinds, page: int, per_page: int, exact: str = "") -> tuple[int, list[Hit]]:
        """One page of hits; a resource named exactly what was typed comes first (``上合组织`` -> the SCO).

        Ranking reads only rowids and scores (no join unless filtering by kind); labels and
        highlights are fetched for the page's rows alone: highlight() on every match costs
        more than the search itself at 1M triples (benchmarks/REPORT-search.md).
        """
        where, args = _kind_filter(kinds)
        join = "JOIN resources AS r ON r.id = fts.rowid" if kinds else ""
        total = self.db.execute(f"SELECT COUNT(*) FROM fts {join} WHERE fts MATCH ? {where}", [expression, *args]).fetchone()[0]
        if not total or (page - 1) * per_page >= total:
            return total, []
        bm25 = f"bm25(fts, {', '.join(map(str, WEIGHTS))})"
        named = [r for (r,) in self.db.execute("SELECT DISTINCT resource FROM names WHERE normal = ? LIMIT 20", (exact,))] if exact else []
        first: list[tuple[int, float]] = []
        if named:
            marks = ", ".join(str(int(r)) for r in named)
            first = self.db.execute(
                f"SELECT fts.rowid, {bm25} AS s FROM fts {join} WHERE fts MATCH ? {where} AND fts.rowid IN ({marks}) ORDER BY s, fts.rowid",
                [expression, *args],
            ).fetchall()
            where += f" AND fts.rowid NOT IN ({marks})"
        offset = (page - 1) * per_page
        ranked = first[offset : offset + per_page]
        rest_offset = max(0, offset - len(first))
        rest_limit = per_page - len(ranked)
        if rest_limit > 0:
            ranked += self.db.execute(
                f"SELECT fts.rowid, {bm25} AS s FROM fts {join} WHERE fts MATCH ? {where} ORDER BY s, fts.rowid LIMIT ? OFFSET ?",
                [expression, *args, rest_limit, rest_offset],
            ).fetchall()
        if not ranked:
            return total, []
        ids = ", ".join(str(int(rid)) for rid, _ in ranked)
        details = {
            row[0]: row[1:]
            for row in self.db.execute(
                f"""SELECT fts.rowid, r.iri, r.kind, r.url, r.label_en, r.label_zh, highlight(fts, 0, ?, ?), highlight(fts, 1, ?, ?)
                    FROM fts JOIN resources AS r ON r.id = fts.rowid WHERE fts MATCH ? AND fts.rowid IN ({ids})""",
                [MARK_START, MARK_END, MARK_START, MARK_END, expression],
            )
        }
        hits = []
        for rid, score in ranked:
            iri, kind, url, label_en, label_zh, label, body = details[rid]
            label_line = first_marked_line(mark_cjk(label, parsed.cjk_needles))
            body_line = first_marked_line(mark_cjk(body, parsed.cjk_needles)) if body else ""
            shown = body_line if MARK_START in body_line else label_line
            hits.append(
                Hit(
                    iri, kind, url, label_en, label_zh, round(-score, 4),
                    lang="zh" if CJK_RUN.search(shown) else "en",
                    label_marked=label_line,
                    snippet_marked=window(body_line) if body_line else "",
                )
            )
        return total, hits

    def _fuzzy(self, text: str, kinds: list[str] | None, lang: str | None) -> tuple[str, ParsedQuery] | None:
        """The query with its unknown words replaced by the closest indexed words (``biodiversty``)."""
        corrected = self.correct_words(text)
        if corrected is None:
            return None
        parsed = parse(corrected).in_language(lang)
        return (corrected, parsed) if not parsed.empty else None

    def vocabulary(self) -> list[str]:
        """Every latin word of the index (unstemmed, lower case), loaded once per index."""
        if self._vocabulary is None:
            self._vocabulary = [w for (w,) in self.db.execute("SELECT word FROM words")]
            self._vocabulary_set = set(self._vocabulary)
        return self._vocabulary

    def correct_words(self, text: str) -> str | None:
        """``text`` with each latin word the index does not have replaced by its closest word
        (difflib ratio >= 0.8), or None when there is nothing to correct."""
        vocabulary = self.vocabulary()
        changed = False

        def fix(match: re.Match) -> str:
            nonlocal changed
            word = match.group(0).lower()
            if word in self._vocabulary_set or len(word) < 4 or word.isdigit():
                return match.group(0)
            close = get_close_matches(word, vocabulary, n=1, cutoff=0.8)
            if not close:
                return match.group(0)
            changed = True
            return close[0]

        corrected = LATIN_WORD.sub(fix, text[:MAX_QUERY_CHARS])
        return corrected if changed else None

    # -- names (reconciliation, suggest, misspellings) -------------------------------------

    def close_names(self, text: str, kinds: list[str] | None, limit: int = 10, threshold: float = 0.0) -> list[tuple[int, str, float]]:
        """(resource id, name, similarity) of names close to ``text`` through shared trigrams."""
        normal = normalize(text)[:200]
        grams = sorted({normal[i : i + 3] for i in range(max(0, len(normal) - 2))})
        if not grams:
            return []
        expression = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
        where, args = _kind_filter(kinds)
        rows = self.db.execute(
            "SELECT n.resource, n.name, n.normal, r.kind FROM names_tri AS t JOIN names AS n ON n.id = t.rowid "
            f"JOIN resources AS r ON r.id = n.resource WHERE names_tri MATCH ? {where} ORDER BY bm25(names_tri) LIMIT 200",
            (expression, *args),
        ).fetchall()
        scored = sorted(
            ((resource, name, similarity(normal, name_normal)) for resource, name, name_normal, kind in rows if not kinds or kind in kinds),
            key=lambda r: (-r[2], r[1]),
        )
        return [r for r in scored if r[2] >= threshold][:limit]

    def candidates(
        self, text: str, *, kinds: list[str] | None = None, limit: int = 10
    ) -> list[Candidate]:
        """Resources whose names match ``text``, best first, scored 0..100 by name similarity."""
        text = text.strip()
        ids: set[int] = set()
        if QID.match(text):
            ids |= {r for (r,) in self.db.execute("SELECT resource FROM props WHERE pid = 'wikidata' AND value = ?", (text,))}
        normal = normalize(text)
        corrected = self.correct_words(text) if not CJK_RUN.search(text) else None
        where, args = _kind_filter(kinds)
        for name in (text, corrected) if corrected else (text,):
            ids |= {
                r
                for (r,) in self.db.execute(
                    f"SELECT n.resource FROM names AS n JOIN resources AS r ON r.id = n.resource WHERE n.normal = ? {where} LIMIT 50",
                    (normalize(name), *args),
                )
            }
            ids |= self._label_matches(name, where, args)
        if not ids:  # nothing shares a word: names sharing trigrams (slow on big indexes, so last)
            ids |= {r for r, _, _ in self.close_names(text, kinds, limit=50)}
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        resources = {
            row[0]: row
            for row in self.db.execute(f"SELECT id, iri, kind, label_en, label_zh FROM resources WHERE id IN ({marks})", sorted(ids))
        }
        names: dict[int, list[tuple[str, str, int]]] = {}
        for resource, name, name_normal, variant in self.db.execute(
            f"SELECT resource, name, normal, variant FROM names WHERE resource IN ({marks}) ORDER BY id", sorted(ids)
        ):
            names.setdefault(resource, []).append((name, name_normal, variant))
        qids = {}
        if QID.match(text):
            qids = {r: text for (r,) in self.db.execute("SELECT resource FROM props WHERE pid = 'wikidata' AND value = ?", (text,))}
        out = []
        for rid, iri, kind, label_en, label_zh in resources.values():
            if kinds and kind not in kinds:
                continue
            if rid in qids:
                out.append(Candidate(iri, kind, label_en or label_zh or iri, 100.0, label_en, label_zh))
                continue
            own = names.get(rid, [])
            aliases = _aliases(own, label_en)
            query = expand_abbreviations(normal, aliases) if aliases and not CJK_RUN.search(normal) else normal
            best_name, best = "", 0.0
            for name, name_normal, variant in own:
                score = max(similarity(normal, name_normal), similarity(query, name_normal))
                if variant:  # "Target 3" from "Target 3: Conserve…": certain, but below a real name
                    score = min(score, VARIANT_SCORE)
                if score > best:
                    best_name, best = name, score
            out.append(Candidate(iri, kind, label_en or label_zh or best_name, best, label_en, label_zh))
        out.sort(key=lambda c: (-c.score, c.iri))
        return out[:limit]

    def _label_matches(self, text: str, where: str, args: list[str]) -> set[int]:
        """Resources whose labels have every word of ``text`` (CJK: every bigram), else any of them."""
        parsed = parse(text)
        if parsed.empty:
            return set()
        terms = []
        for term in parsed.terms:
            if term.cjk:
                terms += [f'{{cjk_label}} : "{b}"' for b in bigrams(term.tokens[0])]
            else:
                terms += [f'{{label}} : "{t}"' for t in term.tokens]
        found: set[int] = set()
        for joiner in (" AND ", " OR "):
            rows = self.db.execute(
                f"""SELECT fts.rowid FROM fts JOIN resources AS r ON r.id = fts.rowid WHERE fts MATCH ? {where}
                    ORDER BY bm25(fts, {', '.join(map(str, WEIGHTS))}) LIMIT 100""",
                (joiner.join(terms), *args),
            ).fetchall()
            found |= {r for (r,) in rows}
            if len(found) >= 10 or len(terms) == 1:
                break
        return found

    # -- resources and properties ----------------------------------------------------------

    def resource(self, iri: str) -> dict | None:
        row = self.db.execute("SELECT id, iri, kind, url, label_en, label_zh, summary FROM resources WHERE iri = ?", (iri,)).fetchone()
        if row is None:
            return None
        return dict(zip(("id", "iri", "kind", "url", "label_en", "label_zh", "summary"), row))

    def properties(self, iri: str, pids: list[str]) -> dict[str, list[tuple[str, str | None, str | None]]]:
        """pid -> [(value, referenced IRI or None, its label or None)] for one resource."""
        out: dict[str, list[tuple[str, str | None, str | None]]] = {pid: [] for pid in pids}
        if not pids:
            return out
        marks = ", ".join("?" for _ in pids)
        for pid, value, ref_label_en, ref_label_zh, ref_iri in self.db.execute(
            f"""SELECT p.pid, p.value, r2.label_en, r2.label_zh, r2.iri FROM props AS p
                JOIN resources AS r ON r.id = p.resource LEFT JOIN resources AS r2 ON r2.id = p.ref
                WHERE r.iri = ? AND p.pid IN ({marks}) ORDER BY p.pid, p.ord""",
            (iri, *pids),
        ):
            out[pid].append((value, ref_iri, ref_label_en or ref_label_zh))
        return out

    def prefix_names(self, prefix: str, kinds: list[str] | None, limit: int) -> list[dict]:
        """Resources whose names start with ``prefix`` (suggest services), shortest names first."""
        normal = normalize(prefix)
        if not normal:
            return []
        escaped = normal.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where, args = "", []
        if kinds:
            where = f"AND r.kind IN ({', '.join('?' for _ in kinds)})"
            args = kinds
        rows = self.db.execute(
            f"""SELECT r.iri, r.kind, r.label_en, r.label_zh, MIN(LENGTH(n.normal)) AS l FROM names AS n
                JOIN resources AS r ON r.id = n.resource
                WHERE (n.normal LIKE ? ESCAPE '\\' OR n.normal LIKE ? ESCAPE '\\') {where}
                GROUP BY r.id ORDER BY l, r.iri LIMIT ?""",
            (escaped + "%", "% " + escaped + "%", *args, limit),
        ).fetchall()
        return [{"iri": iri, "kind": kind, "label_en": en, "label_zh": zh} for iri, kind, en, zh, _ in rows]


def _kind_filter(kinds: list[str] | None) -> tuple[str, list[str]]:
    """SQL (on ``resources AS r``) keeping only these kinds, and its arguments."""
    if not kinds:
        return "", []
    return f"AND r.kind IN ({', '.join('?' for _ in kinds)})", list(kinds)


def _aliases(names: list[tuple[str, str]], label_en: str | None) -> dict[str, str]:
    """Short one-word names (``gbf``, ``sco``) of a resource -> its full English name."""
    if not label_en:
        return {}
    full = normalize(label_en)
    return {normal: full for _, normal, _ in names if " " not in normal and normal.isascii() and 2 <= len(normal) <= 6 and normal != full}
