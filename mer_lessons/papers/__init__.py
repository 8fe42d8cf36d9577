"""The five papers the course teaches: their references, printed tables and checkable claims.

The course cites the papers through this package only; their full texts are not part of
the course. One module per paper (``hao``, ``zhao``, ``wang``, ``kirar``, ``liu``), each
holding ``KEY``, ``CITATION``, ``CHAPTER``, the tables it prints (``TABLE3``, ...),
``MAIN_TABLE``, ``ROW_MODELS`` and ``CLAIMS`` (see :mod:`mer_lessons.papers.base`).

* :data:`PAPERS` — ``{key: module}``.
* :func:`cite` — a paper's reference as text, a short "Hao et al. (n.d.)" or BibTeX.
* :func:`all_claims` — every claim of every paper, one row each.

Fields a paper's text does not print (journal, year, DOI, ...) are left empty and named in
``CITATION.not_in_text``; nothing is filled in from memory.

Taught in ``00_welcome`` and in every paper chapter.
"""
from __future__ import annotations

import pandas as pd

from mer_lessons.papers import hao, kirar, liu, wang, zhao
from mer_lessons.papers.base import Citation, Claim

__all__ = ["PAPERS", "cite", "all_claims", "Citation", "Claim", "CLAIM_COLUMNS"]

#: Every paper module by its key, in the order of the course's chapters.
PAPERS = {"hao": hao, "zhao": zhao, "wang": wang, "kirar": kirar, "liu": liu}

#: Columns of :func:`all_claims`.
CLAIM_COLUMNS = ["paper", "key", "text", "paper_value", "unit", "source", "measure", "metric", "testable",
                 "why_not"]

_STYLES = ("text", "short", "bibtex")


def _paper(key: str):
    if key not in PAPERS:
        raise ValueError(f"unknown paper {key!r}; the papers are: {', '.join(PAPERS)}")
    return PAPERS[key]


def cite(key: str, style: str = "text") -> str:
    """The reference of paper ``key`` (``"hao"``, ``"zhao"``, ``"wang"``, ``"kirar"``, ``"liu"``).

    ``style``: ``"text"`` (the full reference on one line, :meth:`Citation.text`), ``"short"``
    (``"Hao et al. (n.d.)"``, :meth:`Citation.short`) or ``"bibtex"`` (an entry whose key is
    the paper's key). An unknown key or style raises ``ValueError`` naming the valid ones.

    Taught in ``08_hao_realtime_fusion``.
    """
    module = _paper(key)
    if style == "text":
        return module.CITATION.text()
    if style == "short":
        return module.CITATION.short()
    if style == "bibtex":
        return module.CITATION.bibtex(module.KEY)
    raise ValueError(f"unknown citation style {style!r}; choose from {', '.join(_STYLES)}")


def all_claims() -> pd.DataFrame:
    """Every claim of every paper, one row each, columns :data:`CLAIM_COLUMNS`.

    ``paper`` is the paper's key; ``paper_value`` keeps the paper's number, or text where a
    claim compares two numbers the paper prints (``object`` column).

    Taught in ``08_hao_realtime_fusion``.
    """
    rows = []
    for key, module in PAPERS.items():
        for claim in module.CLAIMS:
            rows.append({"paper": key, "key": claim.key, "text": claim.text, "paper_value": claim.paper_value,
                         "unit": claim.unit, "source": claim.source, "measure": claim.measure,
                         "metric": claim.metric, "testable": claim.testable, "why_not": claim.why_not})
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)
