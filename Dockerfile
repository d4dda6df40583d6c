# cxsync for schedulers (Kubernetes CronJob, CI, cron on a VM): one `cxsync sync` per container run.
#   docker build -t cxsync .
#   docker run --rm -e NOTION_TOKEN -e JIRA_URL -e JIRA_EMAIL -e JIRA_API_TOKEN \
#     -v "$PWD/mappings:/app/mappings:ro" -v cxsync-state:/var/lib/cxsync cxsync sync --mapping mappings/voc.yaml
# Secrets come only from the environment (the platform's secret store); none is baked into the image.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY cxsync ./cxsync
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CXSYNC_STATE_DIR=/var/lib/cxsync
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/cxsync --create-home cxsync
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY mappings ./mappings
# the journal, run lock and audit log (audit.jsonl) live here; mount a volume to keep history across runs
VOLUME ["/var/lib/cxsync"]
USER 10001:10001
ENTRYPOINT ["cxsync"]
CMD ["sync", "--format", "json"]
