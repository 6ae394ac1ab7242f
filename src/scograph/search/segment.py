"""Chinese segmentation for the index and for queries: character bigrams.

Every run of CJK characters is indexed as its overlapping character bigrams
("生物多样性" -> "生物 物多 多样 样性"); a query run becomes the phrase of its
bigrams, so it matches exactly the texts that contain it as a substring.
Chosen on the judged queries (benchmarks/REPORT-search.md): bigrams and jieba
(``cut_for_search``) both found every text containing each of the 18 Chinese
queries; SQLite's trigram tokenizer found nothing for the 2-character ones
(`绿色`, `气候`…) and unsegmented unicode61 missed most. Bigrams need no
dependency (jieba is a 42 MB package whose dictionary took 0.8-4 s to load
here) and cannot miss a substring the way a dictionary segmenter can when a
word is cut differently in context.

English is left to FTS5's ``porter unicode61`` tokenizer (stemming, case and
diacritics folding); only CJK runs are rewritten here.
"""

from __future__ import annotations

import re

#: CJK Unified Ideographs (+ extension A and compatibility ideographs): what gets bigrams.
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def has_cjk(text: str) -> bool:
    return CJK_RUN.search(text) is not None


def cjk_runs(text: str) -> list[str]:
    return CJK_RUN.findall(text)


def bigrams(run: str) -> list[str]:
    """Overlapping bigrams of one CJK run; a single character stands for itself."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def segment_cjk(text: str) -> str:
    """The text of the CJK columns: the bigrams of every CJK run, space separated.

    Runs are separated by the token ``0`` so that a query phrase never matches across
    punctuation (unicode61 drops punctuation, which would make the runs adjacent);
    no query on these columns contains that token.
    """
    return " 0 ".join(" ".join(bigrams(run)) for run in cjk_runs(text))
