#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on loopback before the tests run: starts them where
# this machine can, and fails loudly (never skips) when they still do not answer.
set -u

pg_up()    { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

wait_for() {  # wait_for CHECK SECONDS
  local check=$1 seconds=$2
  for _ in $(seq "$seconds"); do "$check" && return 0; sleep 1; done
  return 1
}

if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not answering: starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  wait_for pg_up 30 || true
fi
if ! redis_up && command -v redis-server >/dev/null 2>&1; then
  echo "Redis is not answering: starting it"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  wait_for redis_up 15 || true
fi

failed=0
pg_up    || { echo "FAIL: PostgreSQL does not answer on 127.0.0.1:5432" >&2; failed=1; }
redis_up || { echo "FAIL: Redis does not answer on 127.0.0.1:6379" >&2; failed=1; }
[ "$failed" = 0 ] && echo "PostgreSQL and Redis are up"
exit "$failed"
