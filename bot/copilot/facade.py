"""`Copilot`: what PM Copilot does for a request, whatever the surface; input checked once, by `validate`."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.answers.answer import OnToken, answer_question, min_evidence
from bot.answers.types import Conversation
from bot.copilot.requests import Request, validate
from bot.core.language import detect
from bot.core.metrics import WindowStats, all_windows, stats_report, window_stats
from bot.core.redact import redact
from bot.core.reply import Attachment, Reply
from bot.digest.digest import summarize_thread
from bot.digest.types import Digest, ThreadMessage
from bot.evalplans import draft_evals, read_prd
from bot.exceptions import IndexBusy, InputError
from bot.explain.explain import explain_error, load_catalog
from bot.knowledge.overview import KnowledgeOverview, knowledge_overview
from bot.knowledge.retrieval import DENSE_WEIGHT, Fusion
from bot.knowledge.saved import SlackPRD, saved_root, write_prd
from bot.knowledge.scopes import ChannelScopes, Scope
from bot.quality import answers as answer_eval
from bot.quality import beir, devset, drafts
from bot.quality.devset_report import DevsetReport, embedding_name, evaluate_devsets

if TYPE_CHECKING:
    from bot.evalplans.plan import EvalDraft
    from bot.explain.catalog import ErrorCatalog, ErrorExplanation
    from bot.knowledge.index import ReindexReport
    from bot.knowledge.retrieval import Mode
    from bot.wiring import Deps

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "feature"


class Copilot:
    """PM Copilot's capabilities, built once per process (or CLI verb) from the dependencies."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @cached_property
    def catalog(self) -> ErrorCatalog:
        """The error catalog, read on first use (a verb that explains no error never reads it)."""
        return load_catalog(self.deps)

    @property
    def min_evidence(self) -> float:
        return min_evidence(self.deps)

    def validate(self, request: Request, prd: str | None = None) -> Request:
        return validate(request, self.deps.settings.max_question_chars, prd)

    def check(self, request: Request, prd: str | None = None) -> Reply | None:
        """A usage reply when the request can't run as given (empty or oversized); None when it can."""
        try:
            self.validate(request, prd)
        except InputError as error:
            return Reply(kind="usage", markdown=str(error))
        return None

    def is_admin(self, user: str) -> bool:
        return user in self.deps.settings.pm_admins

    def run(
        self,
        request: Request,
        *,
        user: str,
        conversation: Conversation | None = None,
        scope: Scope | None = None,
        hint: str | None = None,
    ) -> Reply:
        """Carry out any request except `help` (each surface words its own help).

        scope: the channel's; hint: the asker's locale, for a question whose language is unclear.
        """
        prd = conversation.context if conversation and request.verb == "eval" else None
        try:
            verb, argument = self.validate(request, prd)
        except InputError as error:
            return Reply(kind="usage", markdown=str(error))
        if verb == "ask":
            return self.ask(argument, conversation=conversation, scope=scope, hint=hint)
        if verb == "scope":
            return self.describe_scope(scope or self.scope_of(None))
        if verb == "eval":
            return self.draft_evals(argument, prd=prd)
        if verb == "error":
            return self.explain_error(argument)
        if verb == "stats":
            return self.stats()
        if verb == "reindex":
            return self.reindex(user)
        raise ValueError(f"no action for {verb!r}")

    # -- answers --------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        conversation: Conversation | None = None,
        on_token: OnToken | None = None,
        scope: Scope | None = None,
        hint: str | None = None,
    ) -> Reply:
        """A cited answer (or a decline) from the channel's `scope`; InputError for an empty or oversized question.

        It comes in the question's language (English, German or Dutch); `hint`, the asker's locale (`de-DE`),
        settles a question too short to tell.
        """
        _, question = self.validate(Request("ask", question))
        folders = scope.folders if scope is not None else None
        lang = detect(question, hint)
        return answer_question(
            self.deps, question, k=k, conversation=conversation, on_token=on_token, folders=folders, lang=lang
        )

    # -- errors ---------------------------------------------------------------------------------

    def explain(self, text: str) -> ErrorExplanation:
        """The explanation of a pasted error, as data (`explain-error --json`)."""
        _, text = self.validate(Request("error", text))
        return explain_error(self.catalog, text, self.deps)

    def explain_error(self, text: str) -> Reply:
        return Reply(kind="error", markdown=self.explain(text).as_markdown(), question=redact(text)[:500])

    # -- eval plans -----------------------------------------------------------------------------

    def read_prd(self, path: Path) -> str:
        """A PRD file's text (.md, .txt, .pdf, .docx, .html), within MAX_FILE_MB."""
        return read_prd(path, int(self.deps.settings.max_file_mb * 1_000_000))

    def plan_evals(self, feature: str, prd: str | None = None) -> EvalDraft:
        """The full eval plan, for surfaces that render it themselves (markdown, YAML, promptfoo)."""
        _, feature = self.validate(Request("eval", feature), prd)
        return draft_evals(self.deps, feature, prd=prd or None)

    def draft_evals(self, feature: str, prd: str | None = None) -> Reply:
        plan = self.plan_evals(feature, prd)
        return Reply(
            kind="evals",
            markdown=plan.summary_markdown(),
            question=f"eval {feature}",
            attachment=Attachment(
                filename=f"eval-plan-{_slug(feature)}.md",
                title=f"Eval plan: {feature[:80]}",
                content=plan.as_markdown(),
            ),
        )

    # -- the index ------------------------------------------------------------------------------

    def update_index(
        self, *, full: bool = False, dry_run: bool = False, progress: Progress | None = None
    ) -> ReindexReport:
        """Bring the index in step with the knowledge folder (only new or changed files are embedded)."""
        return self.deps.index.reindex(full=full, dry_run=dry_run, progress=progress)

    def refresh_index(self, progress: Progress | None = None) -> ReindexReport | None:
        """Index new or changed files first, so an answer never sees a stale folder; None when nothing changed.

        A dry run decides: an unchanged folder keeps its index version, so answers cached by earlier
        runs stay valid (every real reindex bumps the version, which invalidates them).
        """
        planned = self.update_index(dry_run=True)
        if not (planned.added or planned.updated or planned.removed or self.deps.index.version() == 0):
            return None
        return self.update_index(progress=progress)

    def reindex(self, user: str) -> Reply:
        """/pm reindex: admins only."""
        if not self.is_admin(user):
            return Reply(
                kind="refusal",
                markdown="Sorry, only PM Copilot admins can reindex the knowledge base. "
                "Ask one of them, or wait for the nightly reindex.",
            )
        try:
            report = self.update_index()
        except IndexBusy as error:
            return Reply(kind="reindex", markdown=f"A reindex is already running ({error}). Try again in a minute.")
        log.info("reindex by %s: %s", user, report.summary())
        skipped = "".join(f"\n• skipped `{item.path}`: {item.reason}" for item in report.skipped[:10])
        warnings = "".join(f"\n• :warning: {warning}" for warning in report.warnings[:10])
        return Reply(kind="reindex", markdown=f"Reindexed the knowledge base: {report.summary()}.{skipped}{warnings}")

    # -- reports and housekeeping -----------------------------------------------------------------

    def stats(self) -> Reply:
        return Reply(kind="stats", markdown=stats_report(self.deps.store))

    def stats_windows(self) -> list[dict[str, Any]]:
        """The same metrics as data, one object per window (24h, 7d, 30d)."""
        return [window.as_dict() for window in all_windows(self.deps.store)]

    def clear_cache(self, *, answers_only: bool = False) -> int:
        """Delete what is kept under CACHE_PREFIX (or only cached answers); returns how many keys."""
        return self.deps.store.clear("answer:*" if answers_only else "*")

    # -- measuring ourselves ----------------------------------------------------------------------

    def measure_retrieval(
        self,
        folder: Path,
        split: str,
        modes: Sequence[Mode],
        progress: Progress | None = None,
        *,
        fusion: Fusion = "convex",
        dense_weight: float = DENSE_WEIGHT,
    ) -> list[dict[str, Any]]:
        """nDCG, recall, MRR and latency per mode on a BEIR benchmark, indexed once into its own collection."""
        benchmark = beir.load_benchmark(folder, split)
        beir.ensure_indexed(self.deps.index, benchmark, progress)
        return beir.compare(self.deps.retriever, benchmark, modes, fusion, dense_weight)

    def measure_answers(self, golden: Path, k: int | None = None) -> dict[str, Any]:
        """Answer quality on a golden set (YAML: id, question, answerable, expected_sources)."""
        return answer_eval.evaluate(self.deps, answer_eval.load_golden(golden), k).as_dict()

    def measure_drafts(self, marks: Path, half: str | None = None) -> drafts.DraftsReport:
        """Draft a plan for every document of a marks file (or of one half of it) and score it against the marks."""
        return drafts.evaluate(self.deps, drafts.load_marks(marks), half)

    def read_devsets(self, paths: Sequence[Path]) -> list[devset.DevsetFile]:
        """The dev-set files' questions, checked against the knowledge folder (the dev set's docs/); InputError names
        each bad line."""
        return devset.load_devsets(paths, devset.read_docs(self.deps.knowledge_dir))

    def measure_devsets(
        self, files: Sequence[devset.DevsetFile], k: int | None = None, progress: Progress | None = None
    ) -> DevsetReport:
        """Answer quality on dev-set files (tests/devsets/answers/README.md), per file and pooled."""
        return evaluate_devsets(self.deps, files, k, progress)

    def calibrate(
        self, golden: Path, devsets: Sequence[devset.DevsetFile] = (), k: int | None = None
    ) -> tuple[dict[str, Any], str]:
        """How well decline thresholds separate answerable from unanswerable questions.

        Without `devsets`: answerable.txt and unanswerable.txt (beside the golden set) plus the golden questions.
        With them: their answerable questions (cross-language ones too) against their near-misses.
        Returns the best thresholds as data, and the whole sweep as a Markdown table.
        """
        if devsets:
            questions = [question for file in devsets for question in file.questions]
            answerable = [q.question for q in questions if q.answerable]
            unanswerable = [q.question for q in questions if not q.answerable]
        else:
            answerable, unanswerable = answer_eval.golden_questions(golden.parent, golden)
        calibration = answer_eval.calibrate(self.deps, answerable, unanswerable, k)
        best, accuracy = calibration.best(0)
        cosine, cosine_accuracy = calibration.best(1)
        summary: dict[str, Any] = {
            "answerable": len(answerable),
            "unanswerable": len(unanswerable),
            "best_evidence_threshold": best,
            "evidence_accuracy": round(accuracy, 3),
            "best_cosine_threshold": cosine,
            "cosine_accuracy": round(cosine_accuracy, 3),
            "current": self.min_evidence,
        }
        table = answer_eval.calibration_table(calibration, self.min_evidence)
        if devsets:
            model = embedding_name(self.deps)
            summary |= {"devsets": [file.name for file in devsets], "embedding_model": model}
            names = ", ".join(file.name for file in devsets)
            table += f"\nMeasured on {names} (near-misses as unanswerable) with EMBEDDING_MODEL={model}."
        return summary, table

    # -- Channel scopes --------------------------------------------------------------------------
    @cached_property
    def scopes(self) -> ChannelScopes:
        return ChannelScopes(self.deps.knowledge_dir)

    def scope_of(self, channel: str | None, name: str | None = None) -> Scope:
        """The knowledge a channel searches (`scopes.yaml`); None (DMs, the assistant pane) gets the default."""
        return self.scopes.scope_for(channel, name)

    def describe_scope(self, scope: Scope) -> Reply:
        rules = self.scopes.rules()
        if not rules.present:
            text = "Every channel searches all of the knowledge (there is no `scopes.yaml` in the knowledge folder)."
        else:
            rule = {"default": "the default", "": "the default"}.get(scope.rule, f"the rule `{scope.rule}`")
            text = f"Here I search {scope.describe()} ({rule} in `scopes.yaml`)."
        return Reply(kind="scope", markdown=text)

    # -- Thread digests --------------------------------------------------------------------------
    def digest(self, messages: list[ThreadMessage], *, scope: str, title: str = "") -> Digest:
        """Decisions, open questions, owners and action items, risks of a thread; each item names its message."""
        return summarize_thread(self.deps, messages, scope=scope, title=title)

    # -- The App Home -----------------------------------------------------------------------------
    def knowledge(self) -> KnowledgeOverview:
        """The folders, documents and chunks indexed now, the index version and the last reindex."""
        return knowledge_overview(self.deps.index)

    def team_week(self) -> WindowStats:
        """The team's figures over the last 7 days (as in `stats`)."""
        return window_stats(self.deps.store, "7d", 7 * 86400)

    # -- PRDs saved from Slack --------------------------------------------------------------------
    def save_prd(self, prd: SlackPRD, *, user: str) -> Reply:
        """Write the thread's PRD into DATA_DIR's `slack/` area and index just that document (author or admin only)."""
        if user != prd.author and not self.is_admin(user):
            return Reply(
                kind="refusal",
                markdown="Only the person who started this thread, or a PM Copilot admin, can save it as a PRD.",
            )
        relpath = write_prd(saved_root(self.deps.settings.data_dir), prd)
        try:
            report = self.deps.index.reindex_document(relpath)
        except IndexBusy as error:
            return Reply(
                kind="saved",
                markdown=f"Saved as `{relpath}`; a reindex is running ({error}), so it is searchable once that ends.",
            )
        if report.skipped:
            return Reply(
                kind="saved", markdown=f"Saved as `{relpath}`, but it couldn't be indexed: {report.skipped[0].reason}."
            )
        verb = "Updated" if report.updated else "Saved"
        return Reply(
            kind="saved",
            markdown=f"{verb} this PRD as `{relpath}` and indexed it ({report.chunks} chunks): "
            "questions can draw on it now.",
        )
