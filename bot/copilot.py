"""What PM Copilot does for a request, whatever the surface: answer, draft evals, explain an error, report, reindex.

Nothing here knows Slack. A surface parses the user's text with `parse_request`, calls one
`Copilot` method, and renders the `Reply` it gets back (Slack blocks, CLI text, JSON).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import TYPE_CHECKING, Literal, NamedTuple

from pydantic import BaseModel, Field

from bot.answers.answer import OnToken, answer_question, clean_question
from bot.answers.types import Answer, Conversation, Source
from bot.core.metrics import WindowStats, stats_report, window_stats
from bot.core.redact import redact
from bot.digest.digest import summarize_thread
from bot.digest.types import Digest, ThreadMessage
from bot.evalplans.draft import draft_evals
from bot.exceptions import IndexBusy, InputError
from bot.explain.explain import explain_error, load_catalog
from bot.knowledge.overview import KnowledgeOverview, knowledge_overview
from bot.knowledge.saved import SlackPRD, saved_root, write_prd
from bot.knowledge.scopes import ChannelScopes, Scope

if TYPE_CHECKING:
    from bot.explain.catalog import ErrorCatalog
    from bot.wiring import Deps

log = logging.getLogger(__name__)

Verb = Literal["ask", "eval", "error", "stats", "reindex", "help", "scope"]
VERBS: tuple[Verb, ...] = ("ask", "eval", "error", "stats", "reindex", "help", "scope")
ReplyKind = Literal[
    "answer", "evals", "error", "stats", "reindex", "help", "usage", "refusal", "scope", "digest", "saved"
]

# Pasted errors can carry a stack trace or a JSON body; Slack caps a command's text near this anyway.
MAX_ERROR_CHARS = 8000

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


class Attachment(BaseModel):
    """A long document that goes with a reply, e.g. a full eval plan, uploaded as a file."""

    filename: str
    title: str
    content: str


class Reply(BaseModel):
    """What to tell the user, for any surface. `markdown` is the body; answers carry their sources."""

    kind: ReplyKind
    markdown: str
    question: str = ""
    sources: list[Source] = Field(default_factory=list)
    notice: str | None = None
    mode: str | None = None
    answered: bool = True
    unverified: bool = False
    attachment: Attachment | None = None

    @classmethod
    def of(cls, answer: Answer) -> Reply:
        return cls(
            kind="answer",
            markdown=answer.answer,
            question=answer.question,
            sources=list(answer.sources),
            notice=answer.notice,
            mode=answer.mode,
            answered=answer.answered,
            unverified=answer.unverified,
        )

    @property
    def wants_feedback(self) -> bool:
        """Replies to a PM's request get 👍/👎; usage hints and reports don't."""
        return self.kind in ("answer", "evals", "error")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "feature"


class Copilot:
    """PM Copilot's capabilities, built once per process from the dependencies."""

    def __init__(self, deps: Deps, catalog: ErrorCatalog | None = None) -> None:
        self.deps = deps
        self.catalog = catalog

    @classmethod
    def build(cls, deps: Deps) -> Copilot:
        return cls(deps, load_catalog(deps))

    @property
    def max_chars(self) -> int:
        return self.deps.settings.max_question_chars

    def check(self, request: Request) -> Reply | None:
        """A usage reply when the request can't run as given (empty or oversized); None when it can."""
        if request.verb == "ask":
            try:
                clean_question(request.argument, self.max_chars)
            except InputError as error:
                return Reply(kind="usage", markdown=str(error))
        elif request.verb == "eval":
            if not request.argument.strip():
                return Reply(kind="usage", markdown="Name the feature, e.g. `eval an AI summary of support tickets`.")
            if len(request.argument) > self.max_chars:
                return Reply(
                    kind="usage", markdown=f"Keep the feature description under {self.max_chars:,} characters."
                )
        elif request.verb == "error":
            if not request.argument.strip():
                return Reply(kind="usage", markdown="Paste the error message, e.g. `error 429 insufficient_quota`.")
            if len(request.argument) > MAX_ERROR_CHARS:
                return Reply(kind="usage", markdown=f"Paste at most {MAX_ERROR_CHARS:,} characters of the error.")
        return None

    def is_admin(self, user: str) -> bool:
        return user in self.deps.settings.admins

    def run(
        self, request: Request, *, user: str, conversation: Conversation | None = None, scope: Scope | None = None
    ) -> Reply:
        """Carry out any request except `help` (each surface words its own help); `scope`: the channel's."""
        usage = self.check(request)
        if usage is not None:
            return usage
        if request.verb == "ask":
            return self.ask(request.argument, conversation=conversation, scope=scope)
        if request.verb == "scope":
            return self.describe_scope(scope or self.scope_of(None))
        if request.verb == "eval":
            return self.draft_evals(request.argument, prd=conversation.context if conversation else None)
        if request.verb == "error":
            return self.explain_error(request.argument)
        if request.verb == "stats":
            return self.stats()
        if request.verb == "reindex":
            return self.reindex(user)
        raise ValueError(f"no action for {request.verb!r}")

    def ask(
        self,
        question: str,
        *,
        conversation: Conversation | None = None,
        on_token: OnToken | None = None,
        scope: Scope | None = None,
    ) -> Reply:
        folders = scope.folders if scope is not None else None
        answer = answer_question(self.deps, question, conversation=conversation, on_token=on_token, folders=folders)
        return Reply.of(answer)

    def explain_error(self, text: str) -> Reply:
        catalog = self.catalog if self.catalog is not None else load_catalog(self.deps)
        explanation = explain_error(catalog, text, self.deps)
        return Reply(kind="error", markdown=explanation.as_markdown(), question=redact(text)[:500])

    def draft_evals(self, feature: str, prd: str | None = None) -> Reply:
        plan = draft_evals(self.deps, feature, prd=prd or None)
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

    def stats(self) -> Reply:
        return Reply(kind="stats", markdown=stats_report(self.deps.store))

    def reindex(self, user: str) -> Reply:
        if not self.is_admin(user):
            return Reply(
                kind="refusal",
                markdown="Sorry, only PM Copilot admins can reindex the knowledge base. "
                "Ask one of them, or wait for the nightly reindex.",
            )
        try:
            report = self.deps.index.reindex()
        except IndexBusy as error:
            return Reply(kind="reindex", markdown=f"A reindex is already running ({error}). Try again in a minute.")
        log.info("reindex by %s: %s", user, report.summary())
        skipped = "".join(f"\n• skipped `{item.path}`: {item.reason}" for item in report.skipped[:10])
        warnings = "".join(f"\n• :warning: {warning}" for warning in report.warnings[:10])
        return Reply(kind="reindex", markdown=f"Reindexed the knowledge base: {report.summary()}.{skipped}{warnings}")

    # -- Channel scopes --------------------------------------------------------------------------
    @functools.cached_property
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
