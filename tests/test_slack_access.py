"""Who may get answers from the knowledge: users.info on the loopback Slack API, the cache in the real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.core.store import RedisStore
from bot.slack.access import EXTERNAL_REFUSAL, GUEST_REFUSAL, UNKNOWN_REFUSAL, Home, WorkspaceBoundary
from tests.conftest import REDIS_URL, make_settings
from tests.slack_api import TEAM_ID, SlackAPI

GRID = "E0GRID"
MEMBER = Home(TEAM_ID)
IN_GRID = Home(TEAM_ID, GRID)


@pytest.fixture
def store(redis_prefix: str) -> Iterator[RedisStore]:
    store = RedisStore(REDIS_URL, redis_prefix)
    yield store
    store.client.close()


def boundary(store: RedisStore, tmp_path: Path, **settings: Any) -> WorkspaceBoundary:
    return WorkspaceBoundary(store, make_settings(tmp_path, **settings))


@pytest.mark.parametrize(
    ("home", "profile", "claimed", "refusal"),
    [
        (MEMBER, {}, (TEAM_ID, None, ""), None),
        (MEMBER, {"is_restricted": True}, (), GUEST_REFUSAL),
        (MEMBER, {"is_ultra_restricted": True}, (), GUEST_REFUSAL),
        (MEMBER, {"team_id": "T0OTHER"}, (), EXTERNAL_REFUSAL),
        (MEMBER, {}, ("T0OTHER",), EXTERNAL_REFUSAL),
        (MEMBER, {}, ("E0OTHER",), EXTERNAL_REFUSAL),
        # Another workspace of the same Enterprise Grid org is not another organisation.
        (IN_GRID, {"team_id": "T0SISTER", "enterprise_user": {"enterprise_id": GRID}}, ("T0SISTER",), None),
        (IN_GRID, {}, (GRID,), None),
        (IN_GRID, {"team_id": "T0OTHER", "enterprise_user": {"enterprise_id": "E0OTHER"}}, (), EXTERNAL_REFUSAL),
        # An org-wide install knows only its enterprise.
        (Home(None, GRID), {"team_id": "T0SISTER", "enterprise_user": {"enterprise_id": GRID}}, (), None),
        (Home(None, GRID), {"team_id": "T0OTHER"}, (), EXTERNAL_REFUSAL),
    ],
    ids=[
        "member",
        "guest",
        "single-channel-guest",
        "other-org",
        "other-team-in-payload",
        "other-enterprise-in-payload",
        "sister-workspace",
        "own-enterprise-in-payload",
        "other-grid-org",
        "org-wide-install-member",
        "org-wide-install-outsider",
    ],
)
def test_members_pass_and_guests_and_other_organisations_are_refused(
    slack: SlackAPI,
    store: RedisStore,
    tmp_path: Path,
    home: Home,
    profile: dict[str, Any],
    claimed: tuple[object, ...],
    refusal: str | None,
) -> None:
    slack.add_user("U1", **profile)
    client = WebClient(token=slack.token, base_url=slack.api_url)
    assert boundary(store, tmp_path).refusal(client, home, "U1", claimed) == refusal


@pytest.mark.parametrize(
    ("settings", "profile", "refusal"),
    [
        ({"allow_guests": True}, {"is_restricted": True}, None),
        ({"allow_guests": True}, {"team_id": "T0OTHER"}, EXTERNAL_REFUSAL),
        ({"allow_external_users": True}, {"team_id": "T0OTHER"}, None),
        ({"allow_external_users": True}, {"is_ultra_restricted": True}, GUEST_REFUSAL),
    ],
)
def test_each_setting_opens_only_its_own_door(
    slack: SlackAPI,
    store: RedisStore,
    tmp_path: Path,
    settings: dict[str, bool],
    profile: dict[str, Any],
    refusal: str | None,
) -> None:
    slack.add_user("U1", **profile)
    client = WebClient(token=slack.token, base_url=slack.api_url)
    assert boundary(store, tmp_path, **settings).refusal(client, MEMBER, "U1") == refusal


def test_with_both_doors_open_slack_is_not_asked(slack: SlackAPI, store: RedisStore, tmp_path: Path) -> None:
    client = WebClient(token=slack.token, base_url=slack.api_url)
    open_to_all = boundary(store, tmp_path, allow_guests=True, allow_external_users=True)
    assert open_to_all.refusal(client, MEMBER, "U1", ("T0OTHER",)) is None
    assert slack.calls("users.info") == []


def test_users_info_is_cached_and_a_failure_is_a_no_that_is_not_cached(
    slack: SlackAPI, store: RedisStore, tmp_path: Path
) -> None:
    client = WebClient(token=slack.token, base_url=slack.api_url)
    gate = boundary(store, tmp_path)
    slack.script("users.info", {"ok": False, "error": "missing_scope"}, {"ok": True, "user": {"team_id": TEAM_ID}})
    assert gate.refusal(client, MEMBER, "U1") == UNKNOWN_REFUSAL
    assert gate.refusal(client, MEMBER, "U1") is None
    assert gate.refusal(client, MEMBER, "U1") is None
    assert len(slack.calls("users.info")) == 2
    assert gate.refusal(client, MEMBER, "") == UNKNOWN_REFUSAL
