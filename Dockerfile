# Two stages: the first builds wheels for the project and its pinned dependencies, the second installs only those
# wheels (no source tree, no compiler, no pip cache) and runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY schemas ./schemas
COPY aquarius ./aquarius
COPY indexer ./indexer
COPY api ./api
RUN pip wheel --no-cache-dir -c constraints.txt --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels aquarius-indexer \
 && rm -rf /wheels \
 && useradd --create-home --uid 1000 aquarius
USER aquarius
WORKDIR /home/aquarius
ENV AQUARIUS_BIND_URL=http://0.0.0.0:5000 \
    AQUARIUS_SQLITE_PATH=/home/aquarius/data/aquarius.sqlite \
    PYTHONUNBUFFERED=1
RUN mkdir -p /home/aquarius/data
VOLUME /home/aquarius/data
EXPOSE 5000
# Liveness: `/health` answers 200 while the store answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=4).status != 200)"
ENTRYPOINT ["aquarius"]
CMD ["run"]
