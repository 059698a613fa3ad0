"""What PM Copilot does for a request, whatever the surface: answer, draft evals, explain an error, report, reindex.

The one way in for every surface. Nothing here knows Slack or the terminal. A surface parses the
user's text with `parse_request` (or takes a CLI verb's arguments), calls one `Copilot` method,
and renders the `Reply` it gets back (Slack blocks, CLI text, JSON). What users type is checked
here, once (`validate`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from bot.answers.answer import OnToken, answer_question, min_evidence
from bot.answers.types import Conversation
from bot.core.metrics import WindowStats, all_windows, stats_report, window_stats
from bot.core.redact import redact
from bot.core.reply import Attachment, Reply, ReplyKind, Source
from bot.core.text import squash
from bot.digest.digest import summarize_thread
from bot.digest.types import Digest, ThreadMessage
from bot.evalplans import draft_evals, read_prd
from bot.evalplans.inputs import MAX_PRD_CHARS
from bot.exceptions import IndexBusy, InputError
from bot.explain.explain import explain_error, load_catalog
from bot.knowledge.overview import KnowledgeOverview, knowledge_overview
from bot.knowledge.saved import SlackPRD, saved_root, write_prd
from bot.knowledge.scopes import ChannelScopes, Scope
from bot.quality import answers as answer_eval
from bot.quality import beir

if TYPE_CHECKING:
    from bot.evalplans.plan import EvalDraft
    from bot.explain.catalog import ErrorCatalog, ErrorExplanation
    from bot.knowledge.index import ReindexReport
    from bot.knowledge.retrieval import Mode
    from bot.wiring import Deps

__all__ = ["Attachment", "Copilot", "Reply", "ReplyKind", "Request", "Source", "mentions_evals", "parse_request"]

log = logging.getLogger(__name__)

Verb = Literal["ask", "eval", "error", "stats", "reindex", "help", "scope"]
VERBS: tuple[Verb, ...] = ("ask", "eval", "error", "stats", "reindex", "help", "scope")
Progress = Callable[[str, int, int], None]

# Pasted errors can carry a stack trace or a JSON body; Slack caps a command's text near this anyway.
MAX_ERROR_CHARS = 8000
# A question longer than this many times MAX_QUESTION_CHARS is refused before any pattern reads it;
# whitespace padding up to that still collapses to a question of the allowed length.
RAW_QUESTION_FACTOR = 4

# Possessive `\s++` so a long run of spaces is read once, not once per way to split it between
# neighbouring `\s*`; and only the head of a request is matched, where these phrasings are.
_NATURAL_EVALS = re.compile(
    r"^\s*+(?:please\s++)?draft\s++(?:an?\s++|the\s++|some\s++)?eval\w*+(?:\s+criteria|\s+plan)?(?:\s+for)?\s*:?\s*",
    re.I,
)
_NATURAL_ERROR = re.compile(r"^\s*+(?:please\s++)?explain\s++(?:this|an|the|my)?\s*+error(?:\s+message)?\s*:?\s*", re.I)
_NATURAL_HEAD_CHARS = 200
_MENTIONS_EVALS = re.compile(r"\bevals?\b|\bevaluation", re.I)


class Request(NamedTuple):
    """One thing the user asked for: a verb and its argument (the question, feature or error text)."""

    verb: Verb
    argument: str


def parse_request(text: str) -> Request:
    """Read `ask …`, `eval …`, `error …`, `stats`, `reindex`, `help`, or a bare question.

    Natural phrasings from the assistant pane's suggested prompts ("Draft eval criteria for: …",
    "Explain this error: …") map to the same verbs. Empty text asks for help.
    """
    text = (text or "").strip()
    if not text:
        return Request("help", "")
    head = text[:_NATURAL_HEAD_CHARS]
    natural = _NATURAL_EVALS.match(head)
    if natural:
        return Request("eval", text[natural.end() :].strip())
    natural = _NATURAL_ERROR.match(head)
    if natural:
        return Request("error", text[natural.end() :].strip())
    first, _, rest = text.partition(" ")
    verb = first.lower().rstrip(":")
    rest = rest.strip()
    if verb in ("ask", "eval", "error"):
        return Request(verb, rest)  # type: ignore[arg-type]
    if verb in ("stats", "reindex", "help", "scope") and not rest:
        return Request(verb, "")  # type: ignore[arg-type]
    # "help me pick a metric" is a question, not a request for the usage text.
    return Request("ask", text)


# "save this PRD", "speichere dieses PRD", "PRD speichern", "sla deze PRD op", "PRD opslaan"
_SAVE = re.compile(
    r"\bsave\s++(?:this|the)\s++(?:prd|doc|document|thread)\b"
    r"|\bspeicher\w*+\s++(?:dieses|das|den|diesen)\s++(?:prd|dokument|thread)\b|\b(?:prd|dokument)\s++speichern\b"
    r"|\bsla\s++(?:deze|dit|de|het)\s++(?:prd|document|thread)\s++op\b|\b(?:prd|document)\s++opslaan\b",
    re.I,
)


def asks_to_save(text: str) -> bool:
    """True when a message asks to save its thread's PRD into the knowledge ("save this PRD", in en/de/nl)."""
    return bool(_SAVE.search((text or "")[:_NATURAL_HEAD_CHARS]))


def mentions_evals(text: str) -> bool:
    """True when a message asks about evals (in a PRD thread, that means: draft them from the PRD)."""
    return bool(_MENTIONS_EVALS.search(text or ""))


def validate(request: Request, max_chars: int, prd: str | None = None) -> Request:
    """The request with its argument cleaned, or InputError with a usage hint: the rules on what users type.

    max_chars: MAX_QUESTION_CHARS, for questions and feature descriptions. prd: the PRD an eval
    request comes with (a file, a thread), which can name the feature by itself.
    """
    verb, argument = request
    if verb == "ask":
        if len(argument) > RAW_QUESTION_FACTOR * max_chars:
            raise InputError(f"That question is {len(argument):,} characters; keep it under {max_chars:,}.")
        argument = squash(argument)
        if not argument:
            raise InputError("Ask a question, e.g. `What should we measure before launching an AI summarizer?`")
        if len(argument) > max_chars:
            raise InputError(f"That question is {len(argument):,} characters; keep it under {max_chars:,}.")
    elif verb == "eval":
        argument = argument.strip()
        if not argument and not (prd or "").strip():
            raise InputError("Describe the feature, e.g. `eval an AI summary of support tickets`.")
        if len(argument) > max_chars:
            raise InputError(f"That feature description is {len(argument):,} characters; keep it under {max_chars:,}.")
        if prd and len(prd) > MAX_PRD_CHARS:
            raise InputError(f"That PRD is {len(prd):,} characters; the limit is {MAX_PRD_CHARS:,}.")
    elif verb == "error":
        if len(argument) > MAX_ERROR_CHARS:
            raise InputError(f"Paste at most {MAX_ERROR_CHARS:,} characters of the error.")
        if not argument.strip():
            raise InputError("Paste the error message, e.g. `error 429 insufficient_quota`.")
    return Request(verb, argument)


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
        self, request: Request, *, user: str, conversation: Conversation | None = None, scope: Scope | None = None
    ) -> Reply:
        """Carry out any request except `help` (each surface words its own help); `scope`: the channel's."""
        prd = conversation.context if conversation and request.verb == "eval" else None
        try:
            verb, argument = self.validate(request, prd)
        except InputError as error:
            return Reply(kind="usage", markdown=str(error))
        if verb == "ask":
            return self.ask(argument, conversation=conversation, scope=scope)
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
    ) -> Reply:
        """A cited answer (or a decline) from the channel's `scope`; InputError for an empty or oversized question."""
        _, question = self.validate(Request("ask", question))
        folders = scope.folders if scope is not None else None
        return answer_question(self.deps, question, k=k, conversation=conversation, on_token=on_token, folders=folders)

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
        self, folder: Path, split: str, modes: Sequence[Mode], progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        """nDCG, recall, MRR and latency per mode on a BEIR benchmark, indexed once into its own collection."""
        benchmark = beir.load_benchmark(folder, split)
        beir.ensure_indexed(self.deps.index, benchmark, progress)
        rows = []
        for mode in modes:
            self.deps.retriever.search(next(iter(benchmark.queries.values())), k=10, mode=mode)  # warm-up
            rows.append(beir.evaluate(self.deps.retriever, benchmark, mode))
        return rows

    def measure_answers(self, golden: Path) -> dict[str, Any]:
        """Answer quality on a golden set (YAML: id, question, answerable, expected_sources)."""
        return answer_eval.evaluate(self.deps, answer_eval.load_golden(golden)).as_dict()

    def calibrate(self, golden: Path) -> tuple[dict[str, Any], str]:
        """How well decline thresholds separate answerable.txt from unanswerable.txt (beside the golden set).

        Returns the best thresholds as data, and the whole sweep as a Markdown table.
        """
        answerable, unanswerable = answer_eval.golden_questions(golden.parent, golden)
        calibration = answer_eval.calibrate(self.deps, answerable, unanswerable)
        best, accuracy = calibration.best(0)
        cosine, cosine_accuracy = calibration.best(1)
        summary = {
            "answerable": len(answerable),
            "unanswerable": len(unanswerable),
            "best_evidence_threshold": best,
            "evidence_accuracy": round(accuracy, 3),
            "best_cosine_threshold": cosine,
            "cosine_accuracy": round(cosine_accuracy, 3),
            "current": self.min_evidence,
        }
        return summary, answer_eval.calibration_table(calibration, self.min_evidence)

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
