"""What kind of answer a question asks for, and whether a sentence holds one the question does not already name.

Question kinds: ``amount`` (how many / much / long / old ...), ``date`` (when, what year ...), ``person`` (who),
``place`` (where, which country ...), ``reason`` (why, what caused ...), ``name`` (which / what + a noun: a named
thing), ``other``. A sentence "holds" a kind when it has such a token (a number, a date word, a capitalised name
after a place preposition ...) that is not among the question's own words: "How many were quarantined?" wants a
number the question does not already give.
"""

from __future__ import annotations

import re

KINDS = ("amount", "date", "person", "place", "reason", "name")

#: Nouns that name a sum of money: "What ransom did they demand?", "What was the company's revenue?".
_MONEY_NOUNS = ("price|cost(?! of living)|revenue|revenues|profit|profits|salary|salaries|budget|fee|fees|fine|"
                "ransom|wage|wages|bail|income|earnings|valuation|fare|fares")
#: Nouns that name an amount: what "what <noun>" or "what was the <noun> of ..." asks for.
_AMOUNT_NOUNS = ("percentage|percent|proportion|share|number|amount|age|score|size|temperature|sum|rate|total|"
                 "figure|margin|speed|distance|height|length|weight|count|value|toll|population|turnout|"
                 + _MONEY_NOUNS)
#: "what" followed by the noun, or by a copula and the noun's owner: "what was (the | Home Depot's) (net) revenue".
_WHAT_NOUN = (r"\bwhat\s+(?:(?:is|was|are|were|will be|would be)\s+(?:(?:the|an?|its|their|his|her)\s+"
              r"|(?:[\w.&-]+\s+){0,2}?[\w.&-]+['’]s\s+)(?:[\w-]+\s+)?)?(?:NOUNS)\b")
#: "What will the truck cost?", "What did they pay?": a money verb closing the question.
_WHAT_PAID = r"\bwhat\b.*\b(cost|costs|pay|paid|earn|earned|charge|charged|fetch|fetched)\s*\??$"
_AMOUNT_Q = re.compile(
    r"\bhow (many|much|long|old|far|big|large|tall|high|often|fast|deep|heavy|wide|close|severe|expensive)\b"
    r"|" + _WHAT_NOUN.replace("NOUNS", _AMOUNT_NOUNS) + "|" + _WHAT_PAID +
    r"|\bby how\b|\bhow \w+ (is|are|was|were|did|does|do)\b(?=.*\b(cost|pay|earn|weigh|last|take)\b)")
_WHAT_MONEY_Q = re.compile(_WHAT_NOUN.replace("NOUNS", _MONEY_NOUNS) + "|" + _WHAT_PAID)
_DATE_Q = re.compile(r"\bwhen\b|\b(what|which) (year|time|day|date|month|decade|century|season|week|era|period)\b"
                     r"|\bhow soon\b|\bsince when\b|\buntil when\b")
_PERSON_Q = re.compile(r"\bwho(m|se)?\b")
_PLACE_Q = re.compile(
    r"\bwhere\b|\b(what|which) (\w+ )?(country|countries|city|cities|town|state|states|place|region|province|"
    r"county|village|island|continent|area|location|venue|stadium|airport|street|neighbou?rhood|district|"
    r"capital|nation|site|port|prison|base|building|river|mountain|park|hospital)\b")
_REASON_Q = re.compile(r"\bwhy\b|\bhow come\b|\bwhat (caused|set off|led to|prompted|triggered|sparked|made|"
                       r"drove|motivated|is behind|was behind)\b|\b(reason|cause)\b")
_NAME_Q = re.compile(r"\b(which|what)\s+(?!is\b|was\b|are\b|were\b|did\b|does\b|do\b|has\b|had\b|will\b|would\b|"
                     r"can\b|could\b|should\b|about\b|happened\b|if\b)\w+")

_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
                 "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
                 "hundreds thousand thousands million millions billion billions trillion dozen dozens half "
                 "quarter double twice triple percent").split()
_AMOUNT = re.compile(r"[$£€¥]?\d[\d,.]*%?|\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_MONTHS = ("january february march april may june july august september october november december jan feb mar "
           "apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday").split()
_DATE = re.compile(
    r"\b(" + "|".join(_MONTHS) + r")\b|\b(1[6-9]|20)\d\d\b|\b\d{1,2}(:\d\d)?\s*(a\.m\.|p\.m\.|am\b|pm\b)"
    r"|\b(today|yesterday|tomorrow|tonight|weekend|morning|afternoon|evening|midnight|noon|decade|century|"
    r"spring|summer|autumn|winter|season|week|month|year|years|months|weeks|days|hours|ago|soon|later|"
    r"earlier|since|until|before|after)\b",
    re.IGNORECASE)
_REASON = re.compile(r"\b(because|due to|owing to|thanks to|after|since|so that|as a result|result of|caused|"
                     r"causing|led to|leading to|sparked|triggered|prompted|in order to|amid|over|following|"
                     r"blamed|reason|why|aimed at|to protest|in response)\b", re.IGNORECASE)
_CAPITAL = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’.-]*[a-z]\w*")
_PLACE = re.compile(r"\b(in|at|from|near|outside|inside|across|into|to|of|on)\s+(the\s+)?([A-Z][\w'’.-]+)")
_WORD = re.compile(r"[\w$£€%]+")


_DURATION = re.compile(r"\b(seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|innings|"
                       r"overtime|sets?|rounds?)\b", re.IGNORECASE)
_MONEY = re.compile(r"[$£€¥₹]\s?\d|\b(dollars?|pounds|euros?|yuan|rupees?|rs\.?|lakhs?|crores?|cents?|pence|penny|"
                    r"usd|free of charge|for free|(is|are|was|were|be|remain|remains) free(?! to))\b", re.IGNORECASE)
_AGE = re.compile(r"\b\d{1,3}[- ]years?[- ]old\b|\baged? \d{1,3}\b|, \d{1,3},", re.IGNORECASE)
_PERCENT = re.compile(r"%|\bper ?cent\b", re.IGNORECASE)
#: A number with a unit of weight, volume, area, length, power or temperature: "about 2,300 tons".
_MEASURE = re.compile(r"\d[\d,.]*\s*(?:(?:million|billion|thousand)\s+)?(?:metric\s+)?(tons?|tonnes?|kilo(?:gram)?s?|"
                      r"kg|grams?|pounds|lbs?|ounces?|oz|lit(?:re|er)s?|gallons?|barrels?|cubic|acres?|hectares?|"
                      r"square|sq|met(?:re|er)s?|feet|foot|ft|miles?|km|kilomet(?:re|er)s?|inch(?:es)?|cm|mm|[mgk]w|"
                      r"megawatts?|gigawatts?|kwh|watts?|calories|degrees)\b", re.IGNORECASE)
_FULL_NAME = re.compile(r"\b[A-Z][a-z'’.-]+(?:\s+[A-Z][a-z'’.-]+)+")
_COUNTED = re.compile(r"\bhow many\s+(?:more\s+|of\s+the\s+)?((?:(?!(?:is|are|was|were|do|does|did|have|has|had|will|"
                      r"would|can|could|still|in|on|at|of|from|per)\b)[\w'’.-]+\s*){1,3})", re.IGNORECASE)
_MONEY_WORDS = (r"\b(cost|costs|price|prices|pay|paid|paying|worth|revenue|fine|fined|salary|budget|earn|earned|spend|"
                r"spent|tickets?|ransom|money|sales|profit|value|tax|fee|fees|charge|raise|raised|bill)\b")


def unit_pattern(question: str) -> tuple[re.Pattern | None, bool]:
    """For an amount question, what its answer's unit looks like, and whether that is sure: money for "how much
    does it cost" or "what ransom", a duration for "how long", an age for "how old", a percentage (sure); a measure
    for "how much water" or "how big" (not sure: "how big was the crowd?" wants a count); a number next to one of
    the counted words for "how many X" (not sure: the noun may sit elsewhere in the sentence)."""
    q = " ".join(question.lower().split())
    if re.search(r"\bhow old\b|\bwhat age\b", q):
        return _AGE, True
    if re.search(r"\bhow long\b", q):
        return _DURATION, True
    if re.search(r"\b(percent|percentage|proportion)\b", q):
        return _PERCENT, True
    if re.search(r"\bhow much\b", q) and not re.search(r"\bhow much (of|more|less|longer|higher|bigger)\b", q) and (
            re.search(r"(?<!\bby )\bhow much (is|are|was|were|do|does|did|will|would|has|have|had)\b", q)
            or re.search(_MONEY_WORDS, q)):
        return _MONEY, True
    if _WHAT_MONEY_Q.search(q):
        return _MONEY, True
    if re.search(r"\bhow (much|big|large|heavy|tall|high|far|deep|wide)\b", q):  # a measure, unless a count
        return _MEASURE, False
    counted = _COUNTED.search(question)
    if counted:
        words = [w for w in re.findall(r"[a-z]+", counted.group(1).lower()) if len(w) > 2][:3]
        if words:
            stems = "|".join(re.escape(w[:5]) for w in words)
            return re.compile(r"(\d[\d,.]*|\b(" + "|".join(_NUMBER_WORDS) + r"))\s+(\S+\s+){0,3}?(" + stems + ")",
                              re.IGNORECASE), False
    return None, False


_COUNT_Q = re.compile(r"\bhow (many|much)\b(?! (of|more|less|longer|higher|bigger)\b)")


def asks_count(question: str) -> bool:
    """Whether ``question`` asks "how many" or "how much" (not "how much of / more / longer ...", a share or a
    comparison): its answer is a number, in digits or words."""
    return bool(_COUNT_Q.search(" ".join(question.lower().split())))


def holds_unit(pattern: re.Pattern | None, sentence: str) -> bool:
    """Whether ``sentence`` has an amount in the unit the question asks for (see :func:`unit_pattern`)."""
    return bool(pattern is not None and pattern.search(sentence))


def holds_full_name(sentence: str, known: frozenset[str]) -> bool:
    """Whether ``sentence`` names someone or something in two or more capitalised words the question lacks."""
    return any(any(w.lower() not in known for w in m.group(0).split()) for m in _FULL_NAME.finditer(sentence)
               if m.start() > 0)


def question_kind(question: str) -> str:
    """The kind of answer ``question`` asks for (one of :data:`KINDS`, or ``"other"``): the kind whose pattern
    matches first in the question, so its leading wh-word wins over a later clause ("Who was the warden when ...?"
    asks for a person); on a tie, amount, date, person, place, reason, name in that order."""
    q = " ".join(question.lower().split())
    found = []
    for priority, (kind, pattern) in enumerate((("amount", _AMOUNT_Q), ("date", _DATE_Q), ("person", _PERSON_Q),
                                                ("place", _PLACE_Q), ("reason", _REASON_Q), ("name", _NAME_Q))):
        match = pattern.search(q)
        if match:
            found.append((match.start(), priority, kind))
    return min(found)[2] if found else "other"


def question_words(question: str) -> frozenset[str]:
    """The question's words, lower-cased (what a novel token must not be)."""
    return frozenset(w.lower() for w in _WORD.findall(question))


def _novel(tokens, known: frozenset[str]) -> bool:
    """Whether some token is not among the question's words."""
    return any(t and t.lower().strip(".'’,") not in known for t in tokens)


def holds(kind: str, sentence: str, known: frozenset[str]) -> bool:
    """Whether ``sentence`` has a token of ``kind`` that the question (its words ``known``) does not name."""
    if kind == "amount":
        return _novel((m.group(0).strip("$£€¥%,.") or m.group(0) for m in _AMOUNT.finditer(sentence)), known)
    if kind == "date":
        return _novel((m.group(0) for m in _DATE.finditer(sentence)), known)
    if kind == "reason":
        return bool(_REASON.search(sentence))
    if kind == "place":
        return _novel((m.group(3) for m in _PLACE.finditer(sentence)), known)
    if kind in ("person", "name"):
        return _novel((m.group(0) for m in _CAPITAL.finditer(sentence)), known)
    return False
