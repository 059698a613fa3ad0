"""What a pasted error means, as data (the `explain-error` JSON) and as Markdown for a person."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class CatalogMatch(BaseModel):
    """A catalog entry offered as a near match, with its score."""

    provider: str
    code: str
    title: str
    score: float


class ErrorExplanation(BaseModel):
    """What a pasted error means.

    `model_dump()` is exactly the `explain-error --json` output (a stable contract). The fields marked
    `exclude=True` (`closest`, `provider_name`, `score`, `redacted_input`) are for people and for callers
    in this package: read them as attributes, or call `model_dump(include=...)` to get them.
    `closest` holds the nearest entries when nothing matched, and the runners-up when something did.
    """

    provider: str | None
    code: str | None
    http_status: int | None
    retryable: bool | None
    title: str
    meaning: str
    causes: list[str]
    fixes: list[str]
    pm_impact: str
    docs: list[str]
    matched: bool
    closest: list[CatalogMatch] = Field(default_factory=list, exclude=True)
    provider_name: str | None = Field(default=None, exclude=True)
    score: float = Field(default=0.0, exclude=True)
    redacted_input: str = Field(default="", exclude=True)
    origin: Literal["catalog", "llm"] = Field(default="catalog", exclude=True)

    def as_markdown(self) -> str:
        """The explanation for a person: what happened, what to do, what it means for the product."""
        if self.origin == "llm":
            lines = [f"**{self.title}**", "_AI-written from the knowledge base, not from the error catalog._", ""]
            lines += self._body()
            if self.closest:
                lines += ["", "Closest catalog entries: " + "; ".join(f"{m.title} (`{m.code}`)" for m in self.closest)]
            return "\n".join(lines)
        if not self.matched:
            lines = [f"**{self.title}**", "", self.meaning]
            if self.closest:
                lines += ["", "**Closest known errors**"]
                lines += [f"- {match.title} (`{match.provider}` `{match.code}`)" for match in self.closest]
            lines += ["", "**What to do now**", *(f"- {fix}" for fix in self.fixes)]
            return "\n".join(lines)
        facts = [self.provider_name or self.provider or "", f"`{self.code}`"]
        if self.http_status:
            facts.append(f"HTTP {self.http_status}")
        facts.append("retry with backoff" if self.retryable else "retrying won't help")
        lines = [f"**{self.title}**", " · ".join(fact for fact in facts if fact), "", *self._body()]
        if self.docs:
            lines += ["", "Docs: " + " · ".join(self.docs)]
        # Near-ties only, e.g. the other 429s when all we had was a bare "429".
        others = [match for match in self.closest if match.score >= 0.75 * self.score]
        if others:
            lines += ["", "Could also be: " + "; ".join(f"{m.title} (`{m.code}`)" for m in others)]
        return "\n".join(lines)

    def _body(self) -> list[str]:
        return [
            f"**What happened.** {self.meaning}",
            "",
            "**Likely causes**",
            *(f"- {cause}" for cause in self.causes),
            "",
            "**What to do now**",
            *(f"- {fix}" for fix in self.fixes),
            "",
            f"**What it means for the product.** {self.pm_impact}",
        ]
