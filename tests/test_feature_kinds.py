"""Metrics chosen from the kind of feature and what its PRD says; gaps only for what the PRD really lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evalplans.draft import build_draft
from bot.evalplans.feature_kinds import infer_kind
from bot.evalplans.feature_types import infer_feature_type
from bot.evalplans.metric_catalog import MetricCatalog
from bot.evalplans.plan import EvalDraft
from bot.evalplans.prd.facts import parse_prd
from tests.conftest import BUILTIN

DEVSET = Path(__file__).parent / "devsets" / "drafts" / "docs"

ROUTER = """\
# Ticket router

Incoming support tickets are classified by an LLM and routed to one of 12 queues (billing, refunds, outages …).
Each ticket gets a tag; agents move misrouted tickets to the right queue and the correction is logged.

## Success metrics
| Metric | Target |
|---|---|
| Tickets routed to the right queue | >= 92 % |
"""
NEWSLETTER = """\
# Platform newsletter

We launch a monthly newsletter to platform teams by e-mail and a Slack post; subscribers sign up on the docs site.

## Success criteria
- >15 subscribers in the first month
- Open rate above 40 % per mailing, click-through rate on links above 10 %
- UTM-tagged links on every mailing so each campaign can be compared
"""
MIGRATION = """\
# Storage migration controller

Move the storage version migration controller in-tree. Cluster admins trigger a migration of stored objects;
the controller lists resources from the API server and rewrites them to etcd.

## Goals
- Admins trigger a storage migration without manual steps
- Operators see migration status on the node and cluster dashboards
"""
CHATBOT = """\
# Help center chatbot

Customers ask the chatbot questions; it answers from our help-center articles with citations, in English
and German, and says it doesn't know when no article answers.

## Measuring Success
- Share of users answering yes to "did that answer your question?": from 41% to 60%
- CSAT for chatbot conversations: 4.2 or higher
- Fewer fallbacks to a human agent: below 10% of conversations
"""


def draft(text: str, feature: str = "Feature") -> EvalDraft:
    return build_draft(feature, parse_prd(text), MetricCatalog.load(BUILTIN), BUILTIN)


def names(plan: EvalDraft) -> set[str]:
    return {metric.name for metric in plan.metrics}


def test_a_router_gets_accuracy_per_class_and_misroute_cost_not_tone() -> None:
    plan = draft(ROUTER, "Ticket router")
    assert plan.feature_type == "classification" and plan.feature_kind == "router"
    assert {"Routing accuracy per class", "Misroute cost", "Accuracy"} <= names(plan)
    assert not {"Tone consistency", "Groundedness", "Hallucination rate"} & names(plan)
    reasons = {item.metric: item.reason for item in plan.metrics_not_applicable_reasons}
    assert "classification" in reasons["Tone consistency"]


def test_a_marketing_change_gets_attribution_and_a_novelty_guard_and_no_model_metrics() -> None:
    plan = draft(NEWSLETTER, "Platform newsletter")
    assert plan.feature_kind == "marketing"
    assert {"Attribution", "Novelty-effect guard", "Open and click-through rate"} <= names(plan)
    assert not {"Hallucination rate", "Tone consistency", "Latency", "Fairness gap", "Token efficiency"} & names(plan)
    reasons = {item.metric: item.reason for item in plan.metrics_not_applicable_reasons}
    assert reasons["Hallucination rate"] == "a marketing or growth change has no model output for it to measure"
    # No model, so no model gaps: nobody needs a labelled eval set or prompt-injection cases for a newsletter.
    assert not {"eval_set", "adversarial", "retraining", "confidence_threshold"} & {
        q.key for q in plan.open_questions if q.origin == "gap"
    }


def test_an_infrastructure_change_gets_its_own_operational_metrics() -> None:
    plan = draft(MIGRATION, "Storage migration controller")
    assert plan.feature_kind == "infrastructure"
    assert names(plan) == {"Latency", "Fallback rate", "Operation failure rate", "Resource headroom"}


def test_a_chatbots_outcomes_map_to_the_playbook_metrics_that_stand_for_them() -> None:
    plan = draft(CHATBOT, "Help center chatbot")
    criteria = {c.statement: c for c in plan.success_criteria}
    assert all(c.source == "prd" for c in plan.success_criteria)
    answered = criteria['Share of users answering yes to "did that answer your question?": from 41% to 60%']
    assert (answered.metric, answered.baseline, answered.target) == ("Task success rate", "41%", "60%")
    assert criteria["CSAT for chatbot conversations: 4.2 or higher"].metric == "User satisfaction"
    assert criteria["Fewer fallbacks to a human agent: below 10% of conversations"].metric == "Fallback rate"
    assert plan.metric("Fallback rate").threshold_source == "prd"  # type: ignore[union-attr]
    # The outcome is stated, the unanswerable case too: no gap for either.
    gaps = {q.key for q in plan.open_questions if q.origin == "gap"}
    assert not {"outcome", "unanswerable", "users", "languages"} & gaps


def test_metric_sets_differ_by_kind() -> None:
    sets = [frozenset(names(draft(text))) for text in (ROUTER, NEWSLETTER, MIGRATION, CHATBOT)]
    assert len(set(sets)) == 4


def test_every_gap_says_what_it_looked_for() -> None:
    plan = draft("# Summaries\n\nSummarise long support threads.\n")
    gaps = [q for q in plan.open_questions if q.origin == "gap"]
    assert {"users", "outcome", "latency", "rollout"} <= {q.key for q in gaps}
    assert all(q.key and q.looked_for for q in gaps)
    assert f"(looked for: {gaps[0].looked_for})" in plan.as_markdown()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("As an employee, I want to upload receipts so that expenses fill themselves in.", "users"),
        ("Audience: a pilot with 10-20 internal users before everyone.", "rollout"),
        ("Median time-to-answer: under 30 seconds.", "latency"),
        ("If support is insufficient the bot answers 'I don't know' and gives escalation steps.", "fallback"),
        ("It is designed only for English speakers.", "languages"),
        ("Spot-check the first ~50 tickets under the new model.", "monitoring"),
        ("Re-tune the thresholds if the confidence distribution shifts.", "retraining"),
        ("Walk-forward validation / out-of-sample testing before going live.", "eval_set"),
    ],
)
def test_a_gap_is_not_reported_when_the_prd_states_the_thing(text: str, key: str) -> None:
    gaps = {q.key for q in draft(f"# Feature\n\nAn AI model drafts replies.\n\n{text}\n").open_questions}
    assert key not in gaps


def test_template_guidance_does_not_count_as_stating_something() -> None:
    text = "# Feature\n\nAn AI model drafts replies.\n\n> *Describe the rollout: beta, pilot, phases.*\n"
    assert "rollout" in {q.key for q in draft(text).open_questions if q.origin == "gap"}


@pytest.mark.parametrize(
    ("doc", "kind"),
    [
        ("kep-4192-storage-version-migrator", "infrastructure"),
        ("de-lead-magnet-sequenz", "marketing"),
        ("ticket-classifier-model-upgrade", "router"),
        ("toxicity-moderation", "moderation"),
        ("support-kb-chatbot", None),
    ],
)
def test_kinds_of_the_tuning_documents(doc: str, kind: str | None) -> None:
    text = (DEVSET / f"{doc}.md").read_text(encoding="utf-8")
    facts = parse_prd(text)
    assert infer_kind(facts.content_text, infer_feature_type(text)) == kind


REFERRAL = """\
# Referral program launch

A referral program gives $25 credit to referrer and referee. 20% of new customers should come from referrals;
blended CAC falls and referral LTV is tracked against paid sign-ups.

## Success Threshold
- 15% of new customers from referrals
"""


PLATFORM = """\
# Lead-Plattform: Ablösung des alten Workflows

Die neue Architektur ersetzt Airtable durch eine eigene Datenbank mit Backend-API. Der Betrieb läuft in Docker auf
einem eigenen Server; Ziel ist eine Uptime von 99,5 % und ein Durchsatz von 50.000 Leads pro Kampagne.
Kampagnen, Kampagnenmanager und Kampagnenberichte laufen danach über dieselbe Plattform.

## Erfolgskriterien
- Uptime > 99,5 %
- Keine verlorenen Leads bei der Migration
"""


def test_a_platform_replacement_is_an_infrastructure_change_even_when_it_serves_campaigns() -> None:
    plan = draft(PLATFORM, "Lead-Plattform")
    assert plan.feature_kind == "infrastructure"
    assert "Attribution" not in names(plan)


REFRESH = """# Proposal: faster popularity calculation

Reduce the time a data refresh takes, so the data refresh DAGs can run on a weekly schedule.

## Requirements
1. A full data refresh completes in less than one week.
2. There must be no down-time while the constants are recalculated.
"""


def test_a_faster_data_refresh_is_an_infrastructure_change() -> None:
    plan = draft(REFRESH, "Popularity calculation")
    assert plan.feature_kind == "infrastructure"
    assert {"Operation failure rate", "Resource headroom"} <= names(plan)
    assert not {"Hallucination rate", "Tone consistency"} & names(plan)


MODERATION = """# Comment moderation

A classifier labels every new comment as allowed, blurred or removed. Toxic and harmful comments are removed;
sensitive content is blurred until the reader unblurs it. Flagged comments go to the moderation queue, and
moderators review appeals. Hate speech and harassment are the two categories we must catch.
"""


def test_a_moderation_classifier_gets_over_blocking_and_time_to_action_not_routing_metrics() -> None:
    plan = draft(MODERATION, "Comment moderation")
    assert plan.feature_kind == "moderation"
    assert {"Over-blocking rate", "Time to action", "Per-class recall"} <= names(plan)
    assert not {"Routing accuracy per class", "Misroute cost"} & names(plan)
    router = draft(ROUTER, "Ticket router")
    assert not {"Over-blocking rate", "Time to action"} & names(router)
    reasons = {item.metric: item.reason for item in router.metrics_not_applicable_reasons}
    assert "moderation system" in reasons["Over-blocking rate"]


def test_a_referral_programme_is_a_growth_change() -> None:
    plan = draft(REFERRAL, "Referral program")
    assert plan.feature_kind == "marketing"
    assert {"Attribution", "Novelty-effect guard"} <= names(plan)
    assert not {"Confidence calibration", "Fairness gap"} & names(plan)


REMINDERS = """# Initiative brief: reminder emails for saved applications

## Outcome
More returns and submissions of applications left in progress.

## Approach
A reminder email goes out 7 days after an application was saved; the link in the reminder email resumes it.
Email reminders stop once the application is submitted. Data: emails opened and links clicked in analytics.
"""


def test_reminder_emails_that_bring_people_back_are_a_growth_change() -> None:
    plan = draft(REMINDERS, "Reminder emails")
    assert plan.feature_kind == "marketing"
    assert {"Attribution", "Novelty-effect guard", "Open and click-through rate"} <= names(plan)
    assert "Routing accuracy per class" not in names(plan)


SOCIAL_ROADMAP = """# Marketing-Roadmap der Bibel-App

Die App hat einen KI-Begleiter, der Verse erklärt. Diese Roadmap plant ihre Reichweite.

## Kanäle
- Instagram und TikTok: 3 Posts pro Woche, Ziel 1.000 Follower in 3 Monaten
- Influencer-Kooperationen mit zwei christlichen Influencern
- SEO für die Lebenslagen-Seiten; Retargeting für Besucher ohne Registrierung
"""


def test_a_roadmap_for_reach_on_social_channels_is_a_growth_change() -> None:
    plan = draft(SOCIAL_ROADMAP, "Marketing-Roadmap")
    assert plan.feature_kind == "marketing"
    assert {"Attribution", "Novelty-effect guard"} <= names(plan)


def test_a_queue_of_jobs_is_no_routing_cue() -> None:
    text = (
        "# Logo recognition\n\nA classifier recognises quality marks in product photos. Training runs through the "
        "job queue; the job queue status shows progress; a crash requeues jobs from the training queue.\n"
    )
    guess = infer_feature_type(text)
    assert guess.primary == "classification"
    assert infer_kind(text, guess) is None
    routed = text.replace("job queue", "ticket queue")
    assert infer_kind(routed, infer_feature_type(routed)) == "router"


def test_a_classifier_and_an_extractor_get_metrics_of_their_own_type() -> None:
    classifier = draft("# Claims classifier\n\nA model classifies each claim into one of 40 categories.\n")
    extractor = draft("# Invoice reader\n\nAn LLM extracts the fields of each invoice: amount, date, IBAN.\n")
    assert classifier.feature_type == "classification" and extractor.feature_type == "extraction"
    assert "Per-class recall" in names(classifier) and "Field-level accuracy" not in names(classifier)
    assert "Field-level accuracy" in names(extractor) and "Per-class recall" not in names(extractor)
    assert "Per-class recall" not in names(draft(ROUTER, "Ticket router"))  # routing accuracy per class covers it


@pytest.mark.parametrize(
    ("outcome", "metric"),
    [
        ("≥ 60% gesprekken volledig afgehandeld door AI in MVP", "Task success rate"),
        ("KR3: Anteil der Fragen, die im ersten Chat-Kontakt vollständig geklärt werden: 85%", "Task success rate"),
        ("75% sagen in der In-App Trust Score Umfrage, die Empfehlung war verständlich", "User satisfaction"),
        ("Achieve 99.9% pipeline reliability rate by Q3", "Operation failure rate"),
        ("Upload a 30MB PDF and receive extraction results within 10 minutes", "Latency"),
        ("Extracted data requires <5% manual correction", "Human override rate"),
        ("Contextual Recall above 0.8", "Relevance"),
        ("Deflection Rate: 60% of tickets resolved without human agent", "Task success rate"),
        ("CTA click-through rate from 5.5% to 6.8%", "Open and click-through rate"),
        ("User corrects classification: <10% of requests", "Human override rate"),
    ],
)
def test_outcomes_in_other_words_map_to_the_metric_that_stands_for_them(outcome: str, metric: str) -> None:
    plan = draft(f"# Feature\n\nAn AI assistant answers questions.\n\n## Success metrics\n- {outcome}\n")
    assert [c.metric for c in plan.success_criteria if c.source == "prd"] == [metric]


SERVING = """\
# Prefix-aware request scheduling

The gateway routes each request to the model server whose KV cache holds the longest matching prefix, so the
inference pool recomputes fewer tokens. vLLM servers report their prefix cache hits; the router picks the replica
and the queue with the best score.

## Goals
- Raise the prefix cache hit rate and cut time to first token (TTFT) on the same GPUs
"""
MODERATION_TOOLS = """\
# Moderation tools

Moderators review flagged content in a queue, remove harmful posts and ban repeat offenders. Every moderation action
is stored in the database with its moderator; reports of harmful content reach a moderator within two hours.
Moderation history is kept for audits on the same infrastructure, and the database scales with the community.
"""


def test_serving_models_is_infrastructure_and_moderation_tools_without_a_model_are_moderation() -> None:
    serving = draft(SERVING, "Prefix-aware scheduling")
    assert serving.feature_kind == "infrastructure"
    assert "Routing accuracy per class" not in names(serving)
    assert "Resource headroom" in names(serving)
    tools = draft(MODERATION_TOOLS, "Moderation tools")
    assert tools.feature_kind == "moderation"
    assert {"Over-blocking rate", "Time to action"} <= names(tools)


EXPERIMENT_CARD = """\
# Experiment: AI-suggested focus blocks

## Goal

**We believe** showing AI-suggested focus blocks for users with 5+ meetings a week **will result in** higher retention.

**Success metric:** WAU from 38% to 45%

## Design

**Type:** A/B Test
**Variants:** Control (manual focus blocks only) vs Treatment (AI suggestions + manual)
"""


def test_an_ab_test_of_an_ai_feature_measures_attribution_and_a_novelty_guard() -> None:
    plan = draft(EXPERIMENT_CARD, "AI focus blocks")
    assert {"Attribution", "Novelty-effect guard"} <= names(plan)
    # a feature that only mentions a variant of its model is no experiment
    plain = draft("# Summaries\n\nAn LLM summarizes each call; a smaller model variant runs on mobile.\n")
    assert not {"Attribution", "Novelty-effect guard"} & names(plain)


TRIAGE_THAT_RECOMMENDS = """\
# Ticket triage

An LLM classifies each support ticket by priority and routes it to the right queue. It recommends a handling mode
and an internal action; the team accepts or overrides the recommendation.

## Success metrics
- Recommendation acceptance rate above 70%
- Ticket triage time under 2 minutes; tickets routed to the wrong queue below 5%
- Critical tickets routed within 5 minutes; ticket queue depth, ticket routing per class, recommendations logged
- Recommended actions and recommended replies follow the recommendation rules
"""

AGENT_THAT_RECOMMENDS = """\
# Consulting workspace

An AI agent drafts proposals with an LLM, grounded in the knowledge base, and recommends the next account to pursue.
The model cites its sources; every model output, prompt and AI suggestion is logged, and the AI never sends anything.
The agent's recommendations, staffing recommendations and reuse recommendations stay suggestions. The LLM prompt and
the model version are pinned; the AI workspace shows which model produced each draft, and the AI asks before acting.
Recommended reuse assets come with the recommending model's reason. Each AI model, LLM and prompt is versioned; the
AI workspace compares model, LLM and prompt versions, and an AI review checks every model and every LLM change.
"""


def test_a_router_or_an_agent_that_recommends_is_not_a_recommender() -> None:
    triage = draft(TRIAGE_THAT_RECOMMENDS, "Ticket triage")
    assert triage.feature_kind == "router"
    assert not {"Attribution", "Novelty-effect guard"} & names(triage)
    agent = draft(AGENT_THAT_RECOMMENDS, "Consulting workspace")
    assert agent.feature_kind != "recommendation"
    assert not {"Attribution", "Novelty-effect guard"} & names(agent)
