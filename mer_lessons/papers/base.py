"""The two records every paper module is made of: a :class:`Citation` and its :class:`Claim`\\ s.

Each module of :mod:`mer_lessons.papers` (``hao``, ``zhao``, ``wang``, ``kirar``, ``liu``)
holds ``KEY``, ``CITATION`` (a :class:`Citation`), ``CHAPTER`` (the notebook that teaches
the paper), the tables the paper prints (as ``pandas.DataFrame``), ``ROW_MODELS`` (which of
our models stands for which row of the paper's main table; ``None`` = not built) and
``CLAIMS`` (a list of :class:`Claim`: what its chapter checks).

Taught in ``00_welcome`` (how the course cites) and in every paper chapter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple, Union

__all__ = ["Citation", "Claim"]


@dataclass(frozen=True)
class Citation:
    """A paper's reference: ``authors`` as ``"Family, Given"`` strings, in the paper's order.

    Every field is copied from the paper's own text. A field the text does not print stays
    ``None`` and is named in ``not_in_text`` (never filled in from memory or guessed): a
    reader then knows which parts of the reference still need to be looked up.

    Taught in ``00_welcome``.
    """

    authors: Tuple[str, ...]
    title: str
    venue: Optional[str]
    year: Optional[int]
    doi: Optional[str] = None
    url: Optional[str] = None
    volume: Optional[str] = None
    pages: Optional[str] = None
    not_in_text: Tuple[str, ...] = ()

    def short(self) -> str:
        """``"Hao et al. (2025)"``, ``"Wang (2025)"`` or ``"A and B (2024)"``; ``(n.d.)`` without a year.

        Taught in ``00_welcome``.
        """
        families = [a.split(",")[0].strip() for a in self.authors]
        if len(families) == 1:
            who = families[0]
        elif len(families) == 2:
            who = f"{families[0]} and {families[1]}"
        else:
            who = f"{families[0]} et al."
        return f"{who} ({self.year if self.year is not None else 'n.d.'})"

    def text(self) -> str:
        """The full reference as one line of text (authors, year, title, venue, DOI/URL).

        Parts the paper does not print are left out, and the line ends by saying which.
        Taught in ``00_welcome``.
        """
        authors = "; ".join(self.authors)
        year = self.year if self.year is not None else "n.d."
        parts = [p for p in (self.venue, self.volume, self.pages) if p]
        where = f" {', '.join(parts)}." if parts else ""
        link = f" https://doi.org/{self.doi}" if self.doi else (f" {self.url}" if self.url else "")
        missing = f" [Not printed in the paper: {', '.join(self.not_in_text)}.]" if self.not_in_text else ""
        return f"{authors} ({year}). {self.title}.{where}{link}{missing}"

    def bibtex(self, key: str) -> str:
        """A BibTeX ``@article`` entry under ``key``. Taught in ``00_welcome``."""
        fields = [("author", " and ".join(self.authors)), ("title", "{" + self.title + "}")]
        fields += [(k, v) for k, v in (("journal", self.venue),
                                       ("year", None if self.year is None else str(self.year)),
                                       ("volume", self.volume), ("pages", self.pages),
                                       ("doi", self.doi), ("url", self.url)) if v]
        if self.not_in_text:
            fields.append(("note", "Not printed in the paper: " + ", ".join(self.not_in_text)))
        body = ",\n".join(f"  {k:<7} = {{{v}}}" for k, v in fields)
        return f"@article{{{key},\n{body}\n}}"


@dataclass(frozen=True)
class Claim:
    """One claim of a paper that its chapter checks.

    ``key``: a short identifier (``"table3_accuracy"``); ``text``: the claim in our words;
    ``paper_value``: the number the paper prints (``None`` if the claim is not a number);
    ``unit``: of ``paper_value`` (``"%"``, ``"ms"``, ``"F1"``, ...); ``source``: where the
    paper says it (``"Table 3"``, ``"§4.3"``); ``measure``: how the chapter measures it;
    ``metric``: the column of our results that holds our value (``None`` where the check is
    not one number); ``testable``: ``False`` with ``why_not`` when it cannot be tested here.

    Taught in every paper chapter ("What we reproduced").

    Taught in ``08_hao_realtime_fusion``.
    """

    key: str
    text: str
    paper_value: Optional[Union[float, str]]
    unit: str
    source: str
    measure: str
    metric: Optional[str] = None
    testable: bool = True
    why_not: Optional[str] = field(default=None)
