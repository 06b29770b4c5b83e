#!/usr/bin/env bash
# The gateway the s3 tests share (scripts/rgw.sh, started by the ctest fixture) answers on 127.0.0.1 only,
# over HTTP and over HTTPS verified against its self-signed certificate, and rejects unsigned writes.
set -euo pipefail
[ -f "${LP_S3_ENV_FILE:?}" ] || { echo "FAIL: no gateway env file $LP_S3_ENV_FILE"; exit 1; }
set -a; . "$LP_S3_ENV_FILE"; set +a
for url in "$LP_S3_ENDPOINT" "$LP_S3_ENDPOINT_HTTPS"; do
  case "$url" in http://127.0.0.1:* | https://127.0.0.1:*) ;; *) echo "FAIL: endpoint $url is not loopback"; exit 1 ;; esac
done
curl -sf -o /dev/null "$LP_S3_ENDPOINT/" || { echo "FAIL: no answer over HTTP"; exit 1; }
curl -sf -o /dev/null --cacert "$LP_S3_CA_FILE" "$LP_S3_ENDPOINT_HTTPS/" || { echo "FAIL: HTTPS not verified"; exit 1; }
if curl -s -o /dev/null "$LP_S3_ENDPOINT_HTTPS/" 2>/dev/null; then
  echo "FAIL: HTTPS accepted without the test CA"; exit 1
fi
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$LP_S3_ENDPOINT/anonymous-bucket")
[ "$code" = 403 ] || { echo "FAIL: an anonymous bucket create got HTTP $code, expected 403"; exit 1; }
port=${LP_S3_ENDPOINT##*:}
if ss -Hltn | awk '{print $4}' | grep -v '^127\.0\.0\.1:' | grep -q ":$port\$"; then
  echo "FAIL: the gateway listens beyond 127.0.0.1"; exit 1
fi
echo "gateway OK: $LP_S3_ENDPOINT, $LP_S3_ENDPOINT_HTTPS"
