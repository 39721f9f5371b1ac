#!/usr/bin/env bash
# Creates (or refreshes) the two virtual environments from the lock files.
# Idempotent: each venv stores the hash of the files it was built from and is skipped when
# nothing changed, so `make test` / `make demo` can call this every time.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

if ! command -v java >/dev/null 2>&1; then
  echo "setup: 'java' not found. Spark and Flink need a Java 17 runtime:" >&2
  echo "       apt-get install -y openjdk-17-jre-headless   (Debian/Ubuntu)" >&2
  exit 1
fi

if ! "$PYTHON" -m uv --version >/dev/null 2>&1 && ! command -v uv >/dev/null 2>&1; then
  echo "setup: installing uv with pip"
  "$PYTHON" -m pip install --quiet uv
fi
if command -v uv >/dev/null 2>&1; then UV=(uv); else UV=("$PYTHON" -m uv); fi

# build_venv DIR LOCKFILE: venv in DIR with exactly LOCKFILE, plus this project (editable, no deps).
build_venv() {
  local dir=$1 lock=$2 stamp want
  stamp="$dir/.sdp-stamp"
  want=$(cat "$lock" pyproject.toml native/*.c native/*.h | sha256sum | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "setup: $dir up to date"
    return
  fi
  echo "setup: building $dir from $lock"
  local start=$SECONDS
  [[ -x "$dir/bin/python" ]] || "${UV[@]}" venv --quiet --python "$PYTHON" "$dir"
  # --compile-bytecode: this machine sets PYTHONDONTWRITEBYTECODE=1, and without .pyc files
  # `import great_expectations` alone takes 9-12 s instead of ~4 s (docs/architecture.md).
  VIRTUAL_ENV="$dir" "${UV[@]}" pip sync --quiet --compile-bytecode --python "$dir/bin/python" "$lock"
  VIRTUAL_ENV="$dir" "${UV[@]}" pip install --quiet --compile-bytecode --no-deps --python "$dir/bin/python" -e .
  echo "$want" >"$stamp"
  echo "setup: $dir ready in $((SECONDS - start)) s"
}

build_venv .venv requirements.lock
# `pip install -e .` builds the tokenizer's C extension in place when it can (optional in pyproject.toml).
if ! compgen -G "compliance/anonymize/_hmac_batch*.so" >/dev/null; then
  echo "setup: note: native/hmac_batch.c was not built (needs gcc and libssl-dev):" \
    "tokenization uses its pure-Python path (same tokens, ~7x slower per value)" >&2
fi
if ! compgen -G "compliance/detection/_text_hints*.so" >/dev/null; then
  echo "setup: note: native/text_hints.c was not built (needs gcc):" \
    "the free-text scanner runs every type's RE2 passes on every text (same findings, slower)" >&2
fi
if ! compgen -G "compliance/detection/_id_checks*.so" >/dev/null; then
  echo "setup: note: native/id_checks.c was not built (needs gcc):" \
    "SSN, card, NPI and IBAN columns are checked with regex + numpy (same findings, slower)" >&2
fi
if [[ "${SDP_SKIP_FLINK_VENV:-0}" != 1 ]]; then
  build_venv .venv-flink requirements-flink.lock
fi
# The benchmark venv (Presidio, spaCy, anjana) only when scripts/bench.sh asks: `make setup`,
# `make test` and `make demo` never build it.
if [[ "${SDP_BENCH_VENV:-0}" == 1 ]]; then
  build_venv .venv-bench requirements-bench.lock
fi
