"""Who may get answers drawn from the knowledge: the full members of the organisation that installed the app.

Slack Connect users from another organisation and guests (`is_restricted`, `is_ultra_restricted`)
get a polite refusal with no knowledge content, unless ALLOW_EXTERNAL_USERS or ALLOW_GUESTS let
them in. The verdict combines the team ids Slack puts on the payload (an event's `user_team`,
`source_team` and `team`; a command's `team_id` and `enterprise_id`; a click's `user.team_id`)
with what users.info says about the user (home team, enterprise, guest flags), cached in the
store for a few minutes. users.info is a network call, so the check runs in the work after the
ack, never inside it. When Slack won't say who is asking, the answer is no.

The same cached users.info (asked with `include_locale`) gives the user's locale (`de-DE`), the hint for
the language of a question too short to tell (bot/core/language.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import Settings
from bot.core.store import Store

log = logging.getLogger(__name__)

# Long enough to spare Slack a users.info per question, short enough that a demotion to guest counts soon.
USER_CACHE_S = 300

_STILL_OPEN = "I can still explain an API error: send `error` followed by the message."
GUEST_REFUSAL = f"Sorry, I can't share the team's PRDs and playbook with guest accounts. {_STILL_OPEN}"
EXTERNAL_REFUSAL = (
    "Sorry, I only answer from the team's PRDs and playbook for people in the organisation that installed me, "
    f"and your account belongs to another one. {_STILL_OPEN}"
)
UNKNOWN_REFUSAL = (
    "Sorry, I couldn't confirm your account with Slack just now, so I can't answer from the team's PRDs "
    f"and playbook. Try again in a minute. {_STILL_OPEN}"
)


@dataclass(frozen=True)
class Home:
    """The workspace (and Enterprise Grid org, if any) that installed the app, from auth.test."""

    team: str | None
    enterprise: str | None = None

    def owns(self, team: str) -> bool:
        """True unless `team` (a T… or E… id from a payload) is visibly another workspace or org."""
        if not self.team and not self.enterprise:
            return True  # nothing to compare with; users.info decides
        return team in (self.team, self.enterprise)


class SlackUser(BaseModel):
    """What users.info says about someone, as far as access (and the language of answers) goes."""

    team: str = ""
    enterprise: str = ""
    guest: bool = False
    locale: str = ""

    @classmethod
    def of(cls, user: dict[str, object]) -> SlackUser:
        enterprise = user.get("enterprise_user")
        return cls(
            team=str(user.get("team_id") or ""),
            enterprise=str(enterprise.get("enterprise_id") or "") if isinstance(enterprise, dict) else "",
            guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            locale=str(user.get("locale") or ""),
        )


class WorkspaceBoundary:
    """Decides whether a Slack user may get answers from the knowledge (see the module docstring)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.allow_guests = settings.allow_guests
        self.allow_external = settings.allow_external_users

    def refusal(self, client: WebClient, home: Home, user: str, teams: Iterable[object] = ()) -> str | None:
        """The polite refusal for `user`, or None when they may get answers from the knowledge.

        teams: the team or enterprise ids the payload gives for the user (missing ones are skipped).
        """
        if self.allow_guests and self.allow_external:
            return None
        person = self._lookup(client, user) if user else None
        if person is None:
            return UNKNOWN_REFUSAL
        same_org = bool(home.enterprise) and person.enterprise == home.enterprise
        claimed_elsewhere = any(isinstance(team, str) and team and not home.owns(team) for team in teams)
        external = not same_org and (claimed_elsewhere or not home.owns(person.team))
        if external and not self.allow_external:
            log.info("refused knowledge to %s: from another organisation (%s)", user, person.team or "unknown team")
            return EXTERNAL_REFUSAL
        if person.guest and not self.allow_guests:
            log.info("refused knowledge to %s: a guest account", user)
            return GUEST_REFUSAL
        return None

    def locale(self, client: WebClient, user: str) -> str | None:
        """The user's Slack locale (`de-DE`), or None when Slack won't say; from the users.info `refusal` cached."""
        person = self._lookup(client, user) if user else None
        return person.locale or None if person is not None else None

    def _lookup(self, client: WebClient, user: str) -> SlackUser | None:
        """users.info for `user`, cached for USER_CACHE_S; None when Slack won't say."""
        key = f"slack:user:{user}"
        cached = self.store.get(key)
        if cached is not None:
            try:
                return SlackUser.model_validate_json(cached)
            except ValidationError:
                log.warning("unreadable cached user %s; asking Slack again", user)
        try:
            found = client.users_info(user=user, include_locale=True).get("user")
        except SlackApiError as error:
            log.warning("users.info for %s failed (%s); refusing knowledge answers", user, error.response.get("error"))
            return None
        except SlackClientError as error:
            log.warning("users.info for %s failed (%s); refusing knowledge answers", user, error)
            return None
        if not isinstance(found, dict):
            return None
        person = SlackUser.of(found)
        self.store.set(key, person.model_dump_json(), USER_CACHE_S)
        return person
