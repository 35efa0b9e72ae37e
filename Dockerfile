# One image for every govmon service; the command picks the service.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY govmon ./govmon
COPY services ./services
RUN pip install --no-cache-dir . && useradd --system govmon
USER govmon
ENV GOVMON_BIND_LOCALHOST=false PYTHONUNBUFFERED=1
CMD ["python", "-m", "services.ingest"]
