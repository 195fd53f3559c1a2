# The bot as a container: docker build -t syria-alerts . && docker run -e TELEGRAM_BOT_TOKEN=... -v bot-data:/data syria-alerts

FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# torch (a camel-tools dependency) comes first from the CPU index; from PyPI it is the multi-GB CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
WORKDIR /src
COPY pyproject.toml README.md ./
COPY summarizer ./summarizer
COPY bot ./bot
RUN pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/bot.sqlite3 \
    FEEDS_FILE=/app/feeds.yaml \
    METRICS_PORT=9090 \
    PTB_TIMEDELTA=1
RUN useradd --system --create-home --uid 10001 bot \
    && mkdir -p /data \
    && chown bot:bot /data
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY feeds.yaml ./
USER bot
VOLUME /data
# 8443: webhook mode (WEBHOOK_URL set); 9090: /healthz and /metrics
EXPOSE 8443 9090
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['METRICS_PORT'] + '/healthz', timeout=5)"]
CMD ["python", "-m", "bot", "run"]
