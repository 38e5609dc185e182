# audiobrief as a service: `docker build -t audiobrief . && docker run -p 8000:8000 -v ab:/data audiobrief`
# For the distributed engines: `docker build --build-arg EXTRAS='[distributed]' …` (deploy/compose.yaml).
FROM python:3.11-slim
ARG EXTRAS=""

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AUDIOBRIEF_DATA=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY audiobrief ./audiobrief
RUN pip install --no-cache-dir ".${EXTRAS}" \
    && useradd --system --uid 10001 --home-dir /data audiobrief \
    && mkdir -p /data && chown audiobrief /data

USER audiobrief
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

CMD ["audiobrief", "serve", "--host", "0.0.0.0", "--port", "8000"]
