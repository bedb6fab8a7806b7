"""Similar titles, so that members vote for a topic rather than propose it twice.

A title becomes a set of word stems (lowercase, punctuation and hyphens as spaces, simple
English plurals folded, filler words dropped); two titles are as similar as the larger of
their stems' Jaccard overlap and the difflib ratio of the stemmed strings.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

STOPWORDS = {
    "a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "by", "our", "we", "how",
    "what", "is", "are", "at", "from", "about", "into", "your", "their", "its", "or",
}  # fmt: skip
THRESHOLD = 0.5
_WORD = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    """Fold common plurals: policies→policy, dashboards→dashboard, processes→process."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(title: str) -> list[str]:
    words = _WORD.findall((title or "").lower().replace("-", " ").replace("_", " "))
    return [stem(w) for w in words if w not in STOPWORDS]


def similarity(a: str, b: str) -> float:
    """0 (nothing in common) to 1 (the same words, give or take plurals and punctuation)."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    sa, sb = set(ta), set(tb)
    jaccard = len(sa & sb) / len(sa | sb)
    ratio = SequenceMatcher(None, " ".join(sorted(sa)), " ".join(sorted(sb))).ratio()
    return max(jaccard, ratio)


@dataclass(frozen=True)
class Match:
    id: int
    title: str
    score: float


def most_similar(
    title: str, candidates: list[tuple[int, str]], limit: int = 5, threshold: float = THRESHOLD
) -> list[Match]:
    """The closest candidates (id, title) at or above the threshold, best first."""
    scored = [Match(i, t, round(similarity(title, t), 3)) for i, t in candidates]
    found = [m for m in scored if m.score >= threshold]
    found.sort(key=lambda m: (-m.score, m.id))
    return found[:limit]
