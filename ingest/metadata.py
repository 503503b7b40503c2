"""A report's id and its metadata (title, publisher, date, place, kind), read from the document itself with
the file name as fallback. Pure functions over text; what is particular to one publisher family lives in
`profiles.json` beside this file, and a report of a family not listed there still gets a title, date and place.

    report_id("Ofsted Barnet, 23 July 2024")  -> "ofsted-barnet-23-july-2024"
    describe("Birmingham\\n\\nRe-inspection of services ... Report published: 25 November 2016", "birmingham-2016")
        -> ReportMetadata(title="Birmingham: Re-inspection of services ...", publisher="", date="2016-11-25",
                          place="Birmingham", kind="inspection", ...)
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ingest.errors import InputError

PROFILES = Path(__file__).with_name("profiles.json")
HEAD_CHARS = 6000  # the title page and what follows it: where title, place and dates are printed

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)\b")  # UK order: day/month/year
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_PUBLISHED = re.compile(r"(?:report published|date of publication|published(?: on)?)\s*:?\s*", re.IGNORECASE)
_INSPECTED = re.compile(r"(?:inspection dates?|dates? of inspection)\s*:?\s*", re.IGNORECASE)
_TITLE = re.compile(r"(?:^|\n)[ \t]*((?:Re-i|I)nspection of\b[^\n]*)(\n[^\n]*)?")
_GOES_ON = {"of", "the", "and", "metropolitan", "borough", "county", "city", "royal", "london"}  # title wraps
_TITLE_END = re.compile(r"\s+(?:Inspection dates?|Report published|Date of (?:inspection|publication)|Lead inspector)\b"
                        r"|\s+and\s+Review of\b|\s*\d*\s*$", re.IGNORECASE)
_SERVICES_IN = re.compile(r"services in (?:the )?([A-Z][\w’'\-]*(?:[ \-](?:[A-Z][\w’'\-]*|and|of|on|upon|the)){0,5})"
                          r"\s+(?:are|is|require|requires|were|was)\b")
_INSPECTION_OF_PLACE = re.compile(r"^(?:Re-i|I)nspection of (?:the )?([A-Z].*?) "
                                  r"(?:local authority|children.s services)")
_PLACE_PREFIX = re.compile(r"^(?:The )?(?:Council|London Borough|Royal Borough|Metropolitan Borough|Borough|City|"
                           r"County) of (?:the )?", re.IGNORECASE)
_SMALL_WORDS = {"and", "of", "on", "upon", "the", "in", "under", "by"}


@dataclass(frozen=True)
class ReportMetadata:
    title: str
    publisher: str  # "" when neither the text nor the file name names a known publisher
    date: str  # ISO: "2024-07-23", "2017-01" or "2017"; "" when unknown
    place: str
    kind: str  # "children's services inspection", "inspection", "audit", ... or "report"
    pages: int = 0
    chunks: int = 0

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date[:4].isdigit() else None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def manifest_fields(self) -> dict[str, Any]:
        """What ingest.store.Manifest keeps (chunks are already in its counts)."""
        return {k: v for k, v in asdict(self).items() if k != "chunks"}


def report_id(name: str) -> str:
    """A file stem as a report id: lower case, accents dropped, every run of other characters one `-`.

    Example: "Ofsted Barnet, 23 July 2024" -> "ofsted-barnet-23-july-2024".
    """
    plain = "".join(c if c.isascii() else "" if unicodedata.combining(c) else "-"
                    for c in unicodedata.normalize("NFKD", name))
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    if not slug:
        raise InputError(f"cannot make a report id from the file name {name!r}: it has no letters or digits; "
                         "rename the file (e.g. 'ofsted-barnet-2024.pdf').")
    return slug


@functools.cache
def load_profiles(path: Path = PROFILES) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def describe(text: str, stem: str, pages: int = 0, chunks: int = 0,
             profiles: dict[str, Any] | None = None) -> ReportMetadata:
    """Metadata of a report from its (cleaned) text, the file stem filling what the text does not say."""
    profiles = profiles if profiles is not None else load_profiles()
    # A title or name wrapped over two lines reads as one: "Inspection of Barking and Dagenham\nlocal authority".
    head = re.sub(r"[ \t]*\n[ \t]*(?=[a-z(])", " ", text[:HEAD_CHARS])
    publisher = _publisher(text, stem, profiles)
    phrase = _title_phrase(head)
    place = _place(head, phrase, profiles) or _place_from_stem(stem, profiles)
    if phrase and place and _norm(place) not in _norm(phrase):
        title = f"{place}: {phrase}"
    else:
        title = phrase or _title_from_stem(stem)
    date = _date(head) or _date_from_stem(stem)
    return ReportMetadata(title=title, publisher=publisher, date=date, place=place,
                          kind=_kind(head, title, publisher, profiles), pages=pages, chunks=chunks)


def describe_document(document, stem: str, profiles: dict[str, Any] | None = None) -> ReportMetadata:
    """`describe` over an ingested Document (ingest.records.Document)."""
    pages = len(getattr(document, "pdf_page_starts", None) or document.page_starts)
    return describe(document.text, stem, pages=pages, chunks=len(document.chunks),
                    profiles=profiles)


# -- title ------------------------------------------------------------------------------------------


def _title_phrase(head: str) -> str:
    """Example: "Re-inspection of services for children ... care leavers Inspection dates: ..." -> up to "leavers"."""
    match = _TITLE.search(head[:2500])
    if not match:
        return ""
    phrase = match.group(1)
    if phrase.split()[-1].lower() in _GOES_ON and match.group(2):
        phrase += match.group(2)
    phrase = _TITLE_END.split(" ".join(phrase.split()), maxsplit=1)[0].strip(" ,;:-")
    if len(phrase) > 160:
        phrase = phrase[:160].rsplit(" ", 1)[0] + "…"
    return phrase if len(phrase.split()) >= 3 else ""


def _title_from_stem(stem: str) -> str:
    """Example: "staffordshire-and-stoke-2017" -> "Staffordshire and Stoke 2017"."""
    return _words_as_name(re.split(r"[^A-Za-z0-9]+", stem))


def _words_as_name(words: list[str]) -> str:
    shown = []
    for i, word in enumerate(w for w in words if w):
        if word.isupper() and len(word) > 1:
            shown.append(word)  # an acronym as written
        elif i and word.lower() in _SMALL_WORDS:
            shown.append(word.lower())
        else:
            shown.append(word[:1].upper() + word[1:].lower())
    return " ".join(shown)


# -- publisher and kind ------------------------------------------------------------------------------


def _publisher(text: str, stem: str, profiles: dict[str, Any]) -> str:
    counts = {}
    for profile in profiles.get("publishers", []):
        pattern = "|".join(rf"\b{re.escape(p)}\b" for p in profile["patterns"])
        counts[profile["name"]] = len(re.findall(pattern, text))
    best = max(counts, key=counts.get, default=None)
    if best and counts[best]:
        return best
    stem_words = set(re.split(r"[^a-z0-9]+", stem.lower()))
    for profile in profiles.get("publishers", []):
        if any(re.sub(r"[^a-z0-9]+", "", p.lower()) in stem_words for p in [profile["name"], *profile["patterns"]]):
            return profile["name"]
    return ""


def _kind(head: str, title: str, publisher: str, profiles: dict[str, Any]) -> str:
    for profile in profiles.get("publishers", []):
        if profile["name"] != publisher:
            continue
        for rule in profile.get("kinds", []):
            if re.search(rule["pattern"], head, re.IGNORECASE):
                return rule["kind"]
        if profile.get("default_kind"):
            return profile["default_kind"]
    for rule in profiles.get("generic_kinds", []):
        if re.search(rule["pattern"], title, re.IGNORECASE):
            return rule["kind"]
    return "report"


# -- place -----------------------------------------------------------------------------------------


def _place(head: str, title: str, profiles: dict[str, Any]) -> str:
    """The place inspected: "Children's services in X are ...", "Inspection of X local authority ...", or the
    short line printed above the title."""
    match = _SERVICES_IN.search(head[:4000]) or _INSPECTION_OF_PLACE.search(title)
    if match:
        return _strip_place(match.group(1), profiles)
    title = _TITLE.search(head[:2500])
    if title:  # the short line printed above the title: "Stoke-on-Trent City Council"
        lines = [line.strip() for line in head[: title.start(1)].splitlines() if line.strip()]
        if lines and len(lines[-1].split()) <= 7 and lines[-1][:1].isupper() and not lines[-1].endswith("."):
            return _strip_place(lines[-1], profiles)
    return ""


def _strip_place(name: str, profiles: dict[str, Any]) -> str:
    """Example: "Stoke-on-Trent City Council" -> "Stoke-on-Trent"; "London Borough of Camden" -> "Camden"."""
    name = re.sub(r"\d+$", "", name.strip()).strip()  # a footnote mark
    for suffix in sorted(profiles.get("place_suffixes", []), key=len, reverse=True):
        if name.lower().endswith(" " + suffix.lower()):
            name = name[: -len(suffix)].strip()
            break
    return _PLACE_PREFIX.sub("", name).strip()


def _place_from_stem(stem: str, profiles: dict[str, Any]) -> str:
    """Example: "ofsted-cheshire-west-and-chester-19-february-2016" -> "Cheshire West and Chester"."""
    publisher_words = {re.sub(r"[^a-z0-9]+", "", p.lower()) for profile in profiles.get("publishers", [])
                       for p in [profile["name"], *profile["patterns"]]}
    words = []
    for word in re.split(r"[^A-Za-z0-9]+", stem):
        low = word.lower()
        if not word or low in publisher_words or low in MONTHS or word.isdigit():
            continue
        if low in {"report", "inspection", "final", "draft", "v1", "v2"}:
            continue
        words.append(word)
    while words and words[-1].lower() in _SMALL_WORDS:
        words.pop()
    return _words_as_name(words)


# -- date ------------------------------------------------------------------------------------------


def _date(head: str) -> str:
    """Publication date, else the last day of inspection, else the first date printed. ISO."""
    for label in (_PUBLISHED, _INSPECTED):
        for match in label.finditer(head):
            window = head[match.end() : match.end() + 80].split("\n")[0]
            dates = _dates_in(window)
            if dates:
                return dates[-1] if label is _INSPECTED else dates[0]
    dates = _dates_in(head)
    return dates[0] if dates else ""


def _dates_in(text: str) -> list[str]:
    """Example: "12 September 2016 to 6 October 2016" -> ["2016-09-12", "2016-10-06"], in text order."""
    found: list[tuple[int, str]] = []
    taken: list[range] = []
    for match in _DAY_MONTH_YEAR.finditer(text):
        day, month, year = int(match.group(1)), MONTHS.index(match.group(2).lower()) + 1, match.group(3)
        if 1 <= day <= 31:
            found.append((match.start(), f"{year}-{month:02d}-{day:02d}"))
            taken.append(range(match.start(), match.end()))
    for match in _NUMERIC_DATE.finditer(text):
        day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        if 1 <= day <= 31 and 1 <= month <= 12:
            found.append((match.start(), f"{year}-{month:02d}-{day:02d}"))
            taken.append(range(match.start(), match.end()))
    for match in _MONTH_YEAR.finditer(text):
        if not any(match.start() in span for span in taken):
            found.append((match.start(), f"{match.group(2)}-{MONTHS.index(match.group(1).lower()) + 1:02d}"))
    return [date for _, date in sorted(found)]


def _date_from_stem(stem: str) -> str:
    """Example: "ofsted-barnet-23-july-2024" -> "2024-07-23"; "staffordshire-and-stoke-2017" -> "2017"."""
    spaced = re.sub(r"[^A-Za-z0-9/]+", " ", stem)
    dates = _dates_in(spaced)
    if dates:
        return dates[0]
    years = _YEAR.findall(spaced)
    return years[-1] if years else ""


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
