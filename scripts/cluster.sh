#!/usr/bin/env bash
# A real Spark standalone cluster on this machine: one master and two workers on 127.0.0.1, started from
# the pyspark installed in the venv (its bin/spark-class; nothing is downloaded). The way to try byod on
# a cluster with one machine (docs/cluster.md):
#
#   bash scripts/cluster.sh start      # master spark://127.0.0.1:7077, UI http://127.0.0.1:8080
#   .venv/bin/spark-submit --master spark://127.0.0.1:7077 jobs/c4_arxiv.py tokenize.tokenizer=...
#   bash scripts/cluster.sh status     # exit 0: all running, 3: none, 1: some
#   bash scripts/cluster.sh stop       # stops every process start started
#
# Settings (environment): BYOD_CLUSTER_DIR (.cluster: logs, pid files, worker folders),
# BYOD_CLUSTER_PORT (7077), BYOD_CLUSTER_UI_PORT (8080; workers take the next ports),
# BYOD_CLUSTER_WORKERS (2), BYOD_CLUSTER_WORKER_CORES (1), BYOD_CLUSTER_WORKER_MEMORY (1g: what the
# executors of one worker may use), BYOD_VENV (.venv).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
venv="${BYOD_VENV:-.venv}"
dir="${BYOD_CLUSTER_DIR:-$repo/.cluster}"
host=127.0.0.1
port="${BYOD_CLUSTER_PORT:-7077}"
ui_port="${BYOD_CLUSTER_UI_PORT:-8080}"
workers="${BYOD_CLUSTER_WORKERS:-2}"
cores="${BYOD_CLUSTER_WORKER_CORES:-1}"
memory="${BYOD_CLUSTER_WORKER_MEMORY:-1g}"
url="spark://$host:$port"
wait_seconds=90

usage() { echo "usage: scripts/cluster.sh start|stop|status" >&2; exit 2; }

names() {  # every daemon this script manages, workers first (stop order)
  local i
  for ((i = 1; i <= workers; i++)); do echo "worker-$i"; done
  echo master
}

pid_of() { cat "$dir/$1.pid" 2>/dev/null || true; }

ours() {  # is pid $2 the process start launched as $1? (guards against a recycled pid)
  local args class=org.apache.spark.deploy.master.Master
  [ -n "$2" ] || return 1
  args="$(ps -o args= -p "$2" 2>/dev/null)" || return 1
  [[ "$1" == master ]] || class=org.apache.spark.deploy.worker.Worker
  [[ "$args" == *"$class"*"--properties-file $dir/cluster.properties"* ]]
}

running() { ours "$1" "$(pid_of "$1")"; }

listening() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

spark_home() {
  [ -x "$venv/bin/python" ] || { echo "cluster: no venv at $venv (run scripts/setup_env.sh first)" >&2; exit 1; }
  "$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'
}

launch() {  # launch NAME CLASS ARGS...: a detached spark-class JVM, its output in logs/NAME.log
  local name="$1" class="$2"
  shift 2
  # spark-class ends in `exec java ...`, so $! becomes the JVM's pid; the properties file (this cluster's
  # own path) and the class in its arguments identify the process later
  nohup "$SPARK_HOME/bin/spark-class" "$class" "$@" --properties-file "$dir/cluster.properties" \
    >"$dir/logs/$name.log" 2>&1 </dev/null &
  echo "$!" >"$dir/$name.pid"
}

await() {  # await NAME WHAT TEST...: poll TEST until it holds; fail with the log's tail if NAME died
  local name="$1" what="$2" i
  shift 2
  for ((i = 0; i < wait_seconds * 2; i++)); do
    "$@" && return 0
    if ! running "$name"; then
      echo "cluster: $name exited before $what; last lines of $dir/logs/$name.log:" >&2
      tail -n 15 "$dir/logs/$name.log" >&2
      stop_all >/dev/null
      exit 1
    fi
    sleep 0.5
  done
  echo "cluster: $name: no $what after ${wait_seconds}s (see $dir/logs/$name.log)" >&2
  stop_all >/dev/null
  exit 1
}

registered() { [ "$(grep -c 'Registering worker' "$dir/logs/master.log" 2>/dev/null)" -ge "$workers" ]; }

start() {
  local name alive=() dead=() i
  for name in $(names); do
    if running "$name"; then alive+=("$name"); else dead+=("$name"); fi
  done
  if [ "${#dead[@]}" -eq 0 ]; then
    echo "cluster already running at $url (master UI http://$host:$ui_port); stop it with: scripts/cluster.sh stop"
    return 0
  fi
  if [ "${#alive[@]}" -gt 0 ]; then
    echo "cluster: partly running (${alive[*]} up, ${dead[*]} down); run scripts/cluster.sh stop, then start" >&2
    exit 1
  fi
  if listening "$port"; then
    echo "cluster: port $port on $host is taken by another process; set BYOD_CLUSTER_PORT" >&2
    exit 1
  fi
  SPARK_HOME="$(spark_home)"
  export SPARK_HOME SPARK_LOCAL_IP="$host" SPARK_DAEMON_MEMORY="${SPARK_DAEMON_MEMORY:-512m}"
  export SPARK_LOCAL_DIRS="$dir/local"  # executors' shuffle and spill files
  mkdir -p "$dir/logs" "$dir/local"
  rm -f "$dir"/*.pid
  echo "# Spark settings of the daemons started by scripts/cluster.sh (master and workers)" >"$dir/cluster.properties"
  launch master org.apache.spark.deploy.master.Master --host "$host" --port "$port" --webui-port "$ui_port"
  await master "listening on $host:$port" listening "$port"
  for ((i = 1; i <= workers; i++)); do
    mkdir -p "$dir/work/worker-$i"
    launch "worker-$i" org.apache.spark.deploy.worker.Worker --host "$host" --cores "$cores" \
      --memory "$memory" --work-dir "$dir/work/worker-$i" --webui-port "$((ui_port + i))" "$url"
  done
  for ((i = 1; i <= workers; i++)); do await "worker-$i" "registration with the master" registered; done
  echo "cluster started at $url: $workers workers x $cores core(s) x $memory (master UI http://$host:$ui_port," \
    "logs in $dir/logs)"
}

stop_all() {
  local name pid i stopped=0
  for name in $(names); do
    pid="$(pid_of "$name")"
    if ours "$name" "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      i=0
      while ours "$name" "$pid" && [ "$i" -lt 30 ]; do sleep 0.5; i=$((i + 1)); done
      if ours "$name" "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
      echo "stopped $name (pid $pid)"
      stopped=$((stopped + 1))
    fi
    rm -f "$dir/$name.pid"
  done
  [ "$stopped" -gt 0 ] || echo "cluster not running"
}

status() {
  local name pid up=0 total=0
  for name in $(names); do
    total=$((total + 1))
    pid="$(pid_of "$name")"
    if ours "$name" "$pid"; then
      up=$((up + 1))
      echo "$name running (pid $pid)"
    else
      echo "$name not running"
    fi
  done
  if [ "$up" -eq "$total" ]; then
    echo "cluster running at $url (master UI http://$host:$ui_port)"
    return 0
  fi
  [ "$up" -eq 0 ] && return 3
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop_all ;;
  status) status ;;
  *) usage ;;
esac
