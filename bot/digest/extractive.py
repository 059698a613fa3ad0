"""The offline digest: each sentence of the thread sorted into a section by its cue words and structure, quoted.

No model is involved. A sentence scores for each section by the phrases that mark it (in English, German and
Dutch), by a `Decision:`-style label or a heading above it, and, for questions, by its question mark; the best
section above the threshold takes it. Items quote their sentence and keep its author and message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import yaml

from bot import builtin
from bot.digest.types import SECTIONS, Digest, DigestItem, Section, ThreadMessage

MAX_ITEMS = 10
QUOTE_CHARS = 240
THRESHOLD = 1.0
# A question this short ("Thoughts?", "Any objections?") asks for a reply, not an open question.
MIN_QUESTION_WORDS = 4


def _cues(*phrases: str) -> re.Pattern[str]:
    """One pattern for a list of literal phrases (a `*` in a phrase stands for one word's rest), each on word edges."""
    parts = [re.escape(phrase).replace(r"\*", r"\w*") for phrase in phrases]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.I)


def _load_cues() -> tuple[dict[Section, list[tuple[re.Pattern[str], float]]], re.Pattern[str]]:
    """The cue phrases (package data, `digest/cues.yaml`) as (pattern, weight) per section, and the hedges."""
    data = yaml.safe_load(builtin.digest_cues_file().read_text(encoding="utf-8"))
    cues = {name: [(_cues(*group["phrases"]), float(group["weight"])) for group in data[name]] for name in SECTIONS}
    return cues, _cues(*data["hedges"])


# (pattern, weight) per section; a sentence's score for a section is the sum of the weights that match.
CUES, _HEDGE = _load_cues()

# "Decision: …", "- Open question: …", "Action item: …", "Risk: …" at the head of a line.
_LABELS: dict[Section, re.Pattern[str]] = {
    "decisions": re.compile(
        r"^[-*•>\s]*(?:decision|decided|final decision|beschluss|entscheidung|besluit|beslissing)s?\s*[:：]", re.I
    ),
    "questions": re.compile(
        r"^[-*•>\s]*(?:open questions?|questions?|q|offene fragen?|fragen?|open vra(?:ag|gen)|vra(?:ag|gen))\s*[:：]",
        re.I,
    ),
    "actions": re.compile(
        r"^[-*•>\s]*(?:action items?|actions?|ai|todo|to-do|next steps?|owner|aufgaben?|actiepunt(?:en)?|acties?)"
        r"\s*[:：]",
        re.I,
    ),
    "risks": re.compile(r"^[-*•>\s]*(?:risks?|concerns?|risiko|risiken|risico'?s?|bedenken)\s*[:：]", re.I),
}
# A line that is only a heading ("*Decisions*", "## Open questions") labels the lines under it.
_HEADINGS: dict[Section, re.Pattern[str]] = {
    name: re.compile(r"^[#*_\s]*(?:" + label.pattern.split("(?:", 1)[1].rsplit(")", 1)[0] + r")[*_\s:：]*$", re.I)
    for name, label in _LABELS.items()
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\s])")
# "Can you …?", "Ken, could you …?", "kannst du …?", "kun jij …?": a request to act, not an open question.
_REQUEST = re.compile(
    r"^(?:@?[\w.-]+,?\s+)?(?:can|could|would) you(?!\w)|kannst du|könntest du|k(?:un|an) j[ei](?!\w)", re.I
)
# A reply that settles a question asked just before it reads as a decision.
ANSWER_WEIGHT = 1.0
_MENTION = re.compile(r"@([UW][A-Z0-9]{2,20})")
_FIRST_PERSON = re.compile(r"(?<!\w)(?:i'll|i will|i can|i'm|ich|ik)(?!\w)", re.I)


def sentences(text: str) -> Iterable[tuple[str, Section | None]]:
    """The sentences of a message, each with the section a label or heading above it gives (if any)."""
    heading: Section | None = None
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        named = next((name for name, pattern in _HEADINGS.items() if pattern.match(line)), None)
        if named is not None:
            heading = named
            continue
        bullet = line.lstrip().startswith(("-", "*", "•", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
        if not bullet:
            heading = None if not line.endswith(":") else heading
        labelled = next((name for name, pattern in _LABELS.items() if pattern.match(line)), None)
        if labelled is not None:
            yield _LABELS[labelled].sub("", line, count=1).strip(), labelled
            continue
        for sentence in _SENTENCE_END.split(line):
            if sentence.strip():
                yield sentence.strip(), heading if bullet else None


def scores(sentence: str) -> dict[Section, float]:
    """How strongly the sentence reads as each section, from its cue words and its question mark."""
    result: dict[Section, float] = {}
    for name in SECTIONS:
        result[name] = sum(weight * len(pattern.findall(sentence)) for pattern, weight in CUES[name])
    if _REQUEST.search(sentence):
        result["actions"] += 1.5
    elif sentence.rstrip().endswith("?") and len(sentence.split()) >= MIN_QUESTION_WORDS:
        result["questions"] += 1.6
    return result


def classify(sentence: str, label: Section | None, answers: bool = False) -> tuple[Section, float] | None:
    """The section a sentence belongs to and its score, or None when it is just conversation.

    answers: the sentence opens a reply to a question someone else asked just before.
    """
    if label is not None:
        return label, 10.0
    labelled = next((name for name, pattern in _LABELS.items() if pattern.match(sentence)), None)
    if labelled is not None:
        return labelled, 10.0
    found = scores(sentence)
    if answers and not sentence.rstrip().endswith("?") and not _HEDGE.search(sentence):
        found["decisions"] += ANSWER_WEIGHT
    best = max(SECTIONS, key=lambda name: found[name])
    return (best, found[best]) if found[best] >= THRESHOLD else None


def _quote(sentence: str) -> str:
    sentence = sentence.strip().strip("-*•> ").strip()
    if len(sentence) <= QUOTE_CHARS:
        return sentence
    return sentence[:QUOTE_CHARS].rsplit(" ", 1)[0] + "…"


def _owner(sentence: str, author: str) -> str | None:
    mentioned = _MENTION.search(sentence)
    if mentioned:
        return mentioned.group(1)
    return author if _FIRST_PERSON.search(sentence) else None


def extractive_digest(messages: list[ThreadMessage], title: str = "") -> Digest:
    """Sort every sentence of the thread into the digest's sections; at most MAX_ITEMS each, best first."""
    found: dict[Section, list[tuple[float, int, DigestItem]]] = {name: [] for name in SECTIONS}
    order = 0
    asked_by: str | None = None  # who asked a question in the message before
    for message in messages:
        answering = asked_by is not None and asked_by != message.user
        asked_by = None
        for sentence, label in sentences(message.text):
            if sentence.rstrip().endswith("?"):
                asked_by = message.user
            verdict = classify(sentence, label, answers=answering)
            answering = False
            if verdict is None:
                continue
            section, score = verdict
            item = DigestItem(
                text=_quote(_LABELS[section].sub("", sentence, count=1)), user=message.user, ts=message.ts
            )
            if section == "actions":
                item.owner = _owner(sentence, message.user)
            found[section].append((score, order, item))
            order += 1
    digest = Digest(title=title, messages=len(messages), mode="extractive")
    for name in SECTIONS:
        kept = sorted(found[name], key=lambda entry: -entry[0])[:MAX_ITEMS]
        setattr(digest, name, [item for _, _, item in sorted(kept, key=lambda entry: entry[1])])
    return digest
