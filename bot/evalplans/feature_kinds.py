"""What a feature is beyond its AI type: a router, a moderation system, a search, a recommender, a marketing or
infrastructure change.

The six feature types say how a model's output is judged; the kind says which measures the product
around it needs. A classifier that routes tickets needs accuracy per destination and the cost of a
wrong one; a moderation system needs how much harmless content it blocks and how fast it acts; a search
needs the share of queries with no result; a newsletter or a storage migration has
no model in it at all, so the model's metrics don't apply and its own (attribution and a guard
against novelty effects; failure rates and resource use) do. Cues are counted in English, German and
Dutch, each pattern linear in the text.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from bot.evalplans.feature_types import FeatureTypeGuess

FeatureKind = Literal["router", "moderation", "search", "recommendation", "marketing", "infrastructure"]
FEATURE_KINDS: tuple[FeatureKind, ...] = get_args(FeatureKind)
NON_AI_KINDS: frozenset[FeatureKind] = frozenset({"marketing", "infrastructure"})
KIND_LABELS: dict[FeatureKind, str] = {
    "router": "router",
    "moderation": "moderation system",
    "search": "search",
    "recommendation": "recommender",
    "marketing": "marketing or growth change",
    "infrastructure": "infrastructure change",
}

MIN_CUES = 3  # cue words a kind needs before it is named
MAX_CUE_CHARS = 200_000

_AI = re.compile(
    r"\b(?:ai|ki|ml|llms?|gpt[\w.-]*|models?|modell\w*|prompt\w*|classifiers?|klassifizierer\w*|chatbots?|"
    r"machine learning|nlp|embeddings?|inference|neural|openai|claude|gemini|virtual agent)\b",
    re.I,
)
_CUES: dict[FeatureKind, re.Pattern[str]] = {
    "router": re.compile(
        # a queue of jobs or tasks is a worker's, not a destination ("job queue status", "task queues")
        r"\b(?:rout(?:e|es|ed|ing|er)|dispatch\w*|(?<!job[ -])(?<!jobs )(?<!task )(?<!training )(?<!worker )queues?|"
        r"weiterleit\w*|routeer\w*|routering|triage\w*|"
        r"tag(?:s|ging|ged)?|tickets?|wachtrij\w*|warteschlange\w*)\b",
        re.I,
    ),
    "moderation": re.compile(
        r"\b(?:moderat\w*|toxic\w*|toxizität|harmful|hate speech|hassrede|haatzaai\w*|harass\w*|belästigung|nsfw|"
        r"csam|trust (?:&|and) safety|sensitive (?:content|text|terms|results)|content reports?|abuse reports?|"
        r"takedowns?|unblur\w*|blurr?(?:ed|ing)?|flagged (?:posts?|content|comments?|messages?))\b",
        re.I,
    ),
    "search": re.compile(r"\b(?:search\w*|such(?:e|en|ergebnis\w*)|zoek\w*|findab\w*|vindbaar\w*)\b", re.I),
    "recommendation": re.compile(r"\b(?:recommend\w*|personali[sz]\w*|empfehl\w*|aanbevel\w*)", re.I),
    "marketing": re.compile(
        r"\b(?:newsletters?|campaigns?|kampagne\w*|campagne\w*|open rates?|öffnungsrate\w*|openrate\w*|"
        r"click-through|ctr|subscri\w*|abonn\w*|lead.?magnet\w*|nurture|utm|mailings?|sequenz\w*|landing pages?|"
        r"brevo|mailchimp|calendly|"
        # growth programmes: referrals, acquisition cost and lifetime value, sign-ups, promotions
        r"referrals?|referrer|referees?|empfehlungsprogramm\w*|doorverwijz\w*|cac|ltv|sign-?ups?|acquisition|"
        r"coupons?|vouchers?|promo codes?|gutschein\w*|rabattcode\w*|kortingscode\w*|"
        # reminders sent to bring people back
        r"reminder e-?mails?|e-?mail reminders?|erinnerungs-?e-?mails?|herinnerings-?e-?mails?|"
        # reach on social channels and paid ads
        r"influencer\w*|followers?|reichweite|bereik|retargeting|seo|social media|advertis\w*|werbung|adverten\w*|"
        r"paid ads|ad (?:spend|budget|campaigns?))\b",
        re.I,
    ),
    "infrastructure": re.compile(
        r"\b(?:kubernetes|clusters?|controllers?|api.?servers?|etcd|kubelet|nodes?|infrastructure|slis?|slos?|"
        r"feature gates?|storage|databases?|crds?|migrations?|"
        # a platform or build change: a database, a backend, refactoring, throughput, CI/CD, Docker, uptime, scaling
        r"datenbank\w*|backend|refactor\w*|durchsatz|throughput|ci/cd|docker|uptime|skalier\w*|architektur|"
        r"infrastruktur|"
        # a data platform's jobs: scheduled DAGs, data refreshes, downtime
        r"dags|airflow|data refresh(?:es)?|down-?time)\b",
        re.I,
    ),
}
# Serving models rather than using one: model servers, inference pools, KV and prefix caches, accelerators.
_SERVING = re.compile(
    r"\b(?:model[- ]?serv\w*|model servers?|inference (?:pools?|servers?|gateways?|engines?)|inferencepool|vllm|"
    r"sglang|kv[- ]?cach\w*|prefix[- _]?cach\w*|ttft|time to first token|hbm|accelerators?|gpus?)\b",
    re.I,
)
_ANSWERS = re.compile(r"\b(?:chatbot|virtual agent|assistant|generated answers?|answers? questions?)\b", re.I)


def ai_cues(text: str) -> int:
    """How often the text names a model, an LLM or an AI feature."""
    return len(_AI.findall(text[:MAX_CUE_CHARS]))


def infer_kind(text: str, guess: FeatureTypeGuess) -> FeatureKind | None:
    """The kind of feature the text describes, or None for a plain AI feature of its type."""
    text = text[:MAX_CUE_CHARS]
    counts = {kind: len(pattern.findall(text)) for kind, pattern in _CUES.items()}
    # Model serving is infrastructure: its model words name what is served, not a feature of the product.
    serving = len(_SERVING.findall(text))
    counts["infrastructure"] += serving
    ai = max(0, ai_cues(text) - serving)
    # Moderation tools without a model are still moderation, though they mention their database.
    moderation = guess.primary == "classification" and counts["moderation"] >= MIN_CUES * 2
    for kind in ("infrastructure", "marketing"):
        if moderation and counts["moderation"] > counts[kind] * 2:
            continue
        if counts[kind] >= MIN_CUES and ai < counts[kind] // 4 + 1:
            return kind
    # A classifier that routes tickets may "recommend" the handling; an agent with many model words may "recommend"
    # its next steps: a recommender is one whose recommendations outweigh both.
    routes = guess.primary == "classification" and counts["router"] > counts["recommendation"] * 2
    if counts["recommendation"] >= MIN_CUES * 2 and not routes and counts["recommendation"] * 4 >= ai:
        return "recommendation"
    if moderation:
        return "moderation"
    if guess.primary == "classification" and counts["router"] >= MIN_CUES:
        return "router"
    if guess.primary == "rag" and counts["search"] >= MIN_CUES * 3 and not _ANSWERS.search(text):
        return "search"
    return None
