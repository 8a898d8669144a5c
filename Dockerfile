# A classroom server for the Deep Learning Playground (CPU). Build: docker build -t dl-playground .
# Run: docker run -p 8501:8501 dl-playground   (then open http://localhost:8501)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DLP_CACHE=/data/cache
WORKDIR /app

# The CPU build of PyTorch (much smaller than the CUDA one); see the README's GPU notes for a GPU image.
COPY requirements.txt .
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch \
 && pip install -r requirements.txt

COPY . .
RUN useradd --create-home --uid 1000 app && mkdir -p /data/cache && chown -R app /data
USER app

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
