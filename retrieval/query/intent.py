"""Whether a question has anything to search for: greetings, "help", "/help", "thanks" and the like do not.

The rule is general, not a list of phrases: a question is *content-free* when no word is left once English stop
words, question words and conversational words (greetings, thanks, "help", the bot's name) are removed. Such a
question gets the help text instead of quotes from whichever article happens to be nearest.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"(?u)\b\w\w+\b")

#: Function words (pronouns, auxiliaries, determiners, prepositions): the classic English stop-word list.
STOP_WORDS = frozenset(
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers "
    "herself it its itself they them their theirs themselves this that these those am is are was were be been "
    "being have has had having a an the and but if or because as until while of at by for with about against "
    "between into through during before after above below to from up down in out on off over under again further "
    "then once here there all any both each few more most other some such nor not only own same so than too "
    "very just now also im ive id youre youve dont doesnt didnt isnt arent wasnt cant wont whats thats theres "
    "lets let get got give gimme go going want wanna need like say said see".split()
)
QUESTION_WORDS = frozenset(
    "what when where who whom whose which why how do does did many much can could would should shall may might "
    "will tell know anything something everything".split()
)
#: Words that carry no topic in a message to a bot: greetings, politeness, meta-requests about the bot itself.
CONVERSATIONAL = frozenset(
    "hi hello hey hiya heya howdy yo sup hallo hola greetings morning afternoon evening night gm gn good "
    "thanks thank thx ty tysm cheers ta please pls plz welcome ok okay kk cool great nice awesome lol haha "
    "bye goodbye cya later help helps helping commands command usage use using ask asking question questions "
    "answer answers bot citebot test testing ping pong start started info information menu "
    "anyone anybody someone somebody guys folks everyone all yes yeah yep no nope sure hmm hm um uh".split()
)


@lru_cache(maxsize=1)
def _ignored() -> frozenset[str]:
    from retrieval.text.stopwords import english as stopwords_en

    return frozenset(stopwords_en()) | STOP_WORDS | QUESTION_WORDS | CONVERSATIONAL


def content_words(text: str) -> list[str]:
    """The words of ``text`` that could match an article: lower-cased, without stop and conversational words."""
    return [w for w in _WORD.findall((text or "").lower()) if w not in _ignored() and not w.startswith("_")]


def is_content_free(text: str) -> bool:
    """True when ``text`` has no word worth searching for (a greeting, "help", "/help", "thanks!", "?!")."""
    return not content_words(text)
