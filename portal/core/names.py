"""Indonesian personal names reduced to a comparable form, for finding likely duplicates.

Lists are typed by hand in many offices: "H. Muhammad Yusuf bin Ahmad", "Mohamad Yusuf",
"Drs. Soekarno, S.Pd." and "Sukarno" may all be one person. `normalise` drops what is not the
name (honorifics, academic titles, the father's name after bin/binti) and folds spelling
variants, so a fuzzy score (rapidfuzz) measures the name itself.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import combinations, groupby

from rapidfuzz import fuzz, process

THRESHOLD = 88  # tuned in tests: "Ahmad Fauzi"/"Ahmad Fauzan" (87) stays out, "Rudi"/"Rudy" in
SMALL_BLOCK = 12  # above this, rapidfuzz's own loop (process.extract) beats a Python loop

# Before the name: religious and social honorifics, and the titles written in front.
HONORIFICS = frozenset("""
    h hj haji hajah hajjah ust ustad ustadz ustaz ustadzah ustazah ustadza kh kyai kiai buya tgk
    drs dra dr ir prof ns bapak bpk ibu sdr sdri ny nyonya
""".split())
# After the name, dots removed: academic degrees (S.Pd., S.Pd.I, A.Md., M.Pd., …).
DEGREES = frozenset("""
    spd spdi spdsd sag sthi shi sei se sh mh skom ssos sip st sk skm skep ssi sfarm sp spt
    sked ked spsi ss sst ssit sr sikom shum sarm mpd mpdi msi mm mag mt mkes mkom mhum msc bsc
    amd amdkep amdkeb amdkom amdak ama amapd lc
""".split())
# Spelling variants of one name, folded to the first; keys pass through the same spelling folds.
VARIANTS = {
    "muhammad": "mohammad mohamad muhamad mochamad mochammad mohamed muhamat mohamat muhammat "
                "mokhamad moehammad mohd moh muh mhd m",
    "ahmad": "achmad akhmad ahmat achmat",
    "abdul": "abd abdoel",
    "nur": "noor nor",
    "siti": "sitti st",
}
_PARTICLES = {"bin", "binti", "bt", "bte"}  # "son/daughter of": the father's name follows
_OLD = re.compile(r"oe|dj|tj|sj|nj")  # marks of the spelling before 1972 (EYD)
_APOSTROPHE = re.compile(r"['`\u2018\u2019]")
_NOT_NAME = re.compile(r"[^a-z.,\s]")
_KH = re.compile(r"\bk\s*\.\s*h\b\.?")


def _fold_spelling(token: str) -> str:
    """Pre-1972 spelling to today's: oe→u, dj→j, tj→c, sj→sy, nj→ny, ch→kh, and in a word that
    shows old spelling, j→y (Tjahjono → cahyono); then repeated letters once (Abdullah → abdulah)."""
    if _OLD.search(token):
        token = token.replace("oe", "u").replace("dj", "\0").replace("tj", "c").replace("sj", "sy")
        token = token.replace("nj", "ny").replace("j", "y").replace("\0", "j")
    token = token.replace("ch", "kh")
    return "".join(letter for letter, _run in groupby(token))


_FOLDED = {_fold_spelling(v): canon for canon, vs in VARIANTS.items() for v in vs.split() + [canon]}


def _plain(text: str) -> str:
    """Lower case without accents; apostrophes dropped (Ma'ruf → maruf), other marks to spaces."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _NOT_NAME.sub(" ", _APOSTROPHE.sub("", text.lower()))


def _strip_titles(tokens: list[str]) -> list[str]:
    """Honorifics in front and degrees (or honorifics) behind, keeping at least one word. A
    degree may be spread over tokens ("S. Pd. I"), so the last three, two, one are tried."""
    while len(tokens) > 1 and tokens[0].replace(".", "") in HONORIFICS:
        tokens = tokens[1:]
    stripped = True
    while stripped and len(tokens) > 1:
        stripped = False
        for k in (3, 2, 1):
            tail = "".join(tokens[-k:]).replace(".", "")
            if len(tokens) > k and (tail in DEGREES or (k == 1 and tail in HONORIFICS)):
                tokens, stripped = tokens[:-k], True
                break
    return tokens


SORT_MAX = 120


def sort_key(name: str) -> str:
    """Where a name sorts: lower case, no accents, honorifics and degrees off, the rest as
    written ("Hj. Siti Aminah, S.Pd." and "siti aminah" sort together, under S)."""
    text = _plain(name or "")
    head, _, _ = text.partition(",")
    text = head if head.strip(" .") else text.replace(",", " ")
    if "." in text:
        text = _KH.sub("kh", text)
    words = [part for token in _strip_titles(text.split()) for part in token.split(".") if part]
    return " ".join(words)[:SORT_MAX]


@lru_cache(maxsize=200_000)
def normalise(name: str) -> str:
    """The comparable form of a name: lower case, no honorifics or academic titles, nothing from
    "bin"/"binti" on, spelling variants folded (Mohamad → muhammad, Soekarno → sukarno), one
    space between words. "" for a name with no letters."""
    text = _plain(name or "")
    head, _, _ = text.partition(",")  # "Ahmad Fauzi, S.Pd.I": what follows a comma is titles
    text = head if head.strip(" .") else text.replace(",", " ")
    if "." in text:
        text = _KH.sub("kh", text)  # K. H. / K.H.
    tokens = text.split()
    for i, token in enumerate(tokens[1:], start=1):
        if token.strip(".") in _PARTICLES:
            tokens = tokens[:i]
            break
    words = []
    for token in _strip_titles(tokens):
        # "M.Yusuf" or "Abd.Rahman": a dot inside a word separates an abbreviation
        for part in filter(None, token.split(".")):
            folded = _fold_spelling(part)
            words.append(_FOLDED.get(folded, folded))
    return " ".join(words)


def score(a: str, b: str, cutoff: float = 0) -> float:
    """Similarity 0–100 of two normalised names: word order ignored (token_sort_ratio), and
    spaces ignored ("nur hayati" / "nurhayati"); the better of the two."""
    return max(fuzz.token_sort_ratio(a, b, score_cutoff=cutoff),
               fuzz.ratio(a.replace(" ", ""), b.replace(" ", ""), score_cutoff=cutoff))


def similar_pairs(names: list[str], threshold: float = THRESHOLD):
    """(score, i, j) for each pair i < j of normalised `names` scoring at least `threshold`;
    every pair is compared, so callers pass small blocks (see portal.duplicates.rules)."""
    if len(names) <= SMALL_BLOCK:
        for i, j in combinations(range(len(names)), 2):
            if (s := score(names[i], names[j], threshold)) >= threshold:
                yield s, i, j
        return
    joined = [n.replace(" ", "") for n in names]
    for i in range(len(names) - 1):
        best: dict[int, float] = {}
        for query, choices, scorer in ((names[i], names[i + 1:], fuzz.token_sort_ratio),
                                       (joined[i], joined[i + 1:], fuzz.ratio)):
            for _choice, s, j in process.extract(query, choices, scorer=scorer, score_cutoff=threshold, limit=None):
                best[j] = max(best.get(j, 0), s)
        yield from ((s, i, i + 1 + j) for j, s in best.items())
