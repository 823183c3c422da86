FROM python:3.11-slim

RUN useradd --create-home --uid 1000 aquarius
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY aquarius ./aquarius
COPY indexer ./indexer
COPY api ./api
COPY schemas ./schemas
RUN pip install --no-cache-dir -c constraints.txt . && rm -rf /root/.cache

USER aquarius
ENV AQUARIUS_BIND_URL=http://0.0.0.0:5000 \
    AQUARIUS_SQLITE_PATH=/home/aquarius/aquarius.sqlite
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:5000/health').status != 200)"
ENTRYPOINT ["aquarius"]
CMD ["run"]
