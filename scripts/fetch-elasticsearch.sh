#!/usr/bin/env bash
# Fetches the official Elasticsearch test distribution (integ-test-zip) from Maven Central with mvn and
# unpacks it under .cache/elasticsearch/. Idempotent: an unpacked tree is reused.
set -euo pipefail
version="${ES_VERSION:-8.19.21}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache/elasticsearch"
home="$cache/elasticsearch-$version"
if [ -x "$home/bin/elasticsearch" ]; then
  echo "$home"
  exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -x "$home/bin/elasticsearch" ]; then
  echo "$home"
  exit 0
fi
mvn -q -B dependency:copy \
  "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$version:zip" \
  "-DoutputDirectory=$cache" >&2
rm -rf "$home.partial"
mkdir -p "$home.partial"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  "$cache/elasticsearch-$version.zip" "$home.partial"
chmod +x "$home.partial/elasticsearch-$version/bin/"* 
mv "$home.partial/elasticsearch-$version" "$home"
rm -rf "$home.partial" "$cache/elasticsearch-$version.zip"
echo "$home"
