# notifier in a container: state in the /data volume, rules in /config.
#
#   docker build -t notifier .
#   docker run -d --name notifier \
#     -v notifier-data:/data -v "$PWD/config:/config:ro" \
#     -e NOTIFIER_AUTH_TOKEN -e NOTIFIER_CT0 notifier
#
# Try it without credentials:
#   docker run --rm notifier run rules.example.yaml --replay examples/launch-day.jsonl --dry-run
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY notifier ./notifier
RUN pip install . \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin notifier \
    && mkdir -p /data /config \
    && chown notifier:notifier /data
COPY rules.example.yaml ./
COPY examples ./examples

USER notifier
ENV NOTIFIER_STATE=/data/state.db
VOLUME /data
EXPOSE 9464

# /healthz answers 200 while the stream is connected or retrying within its backoff.
# python -c: the slim image has no curl, and needs none.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4).status != 200)"]

# docker stop sends SIGTERM: notifier drains deliveries for up to 10 s, so give it
# more than Docker's default 10 s grace (docker stop -t 20, or stop_grace_period in compose).
STOPSIGNAL SIGTERM
ENTRYPOINT ["notifier"]
CMD ["run", "/config/rules.yaml", "--metrics-port", "9464", "--metrics-host", "0.0.0.0"]
