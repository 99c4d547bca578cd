#!/usr/bin/env bash
# Device check: the core and sweep benchmarks in float32 on this machine's
# accelerator (the default JAX backend), then one summary table.
#
#   bash experiments/device_check.sh        # from anywhere; installs nothing
#
# Budget: about 5 minutes on one GPU (each benchmark is capped by `timeout`).
# The sweep benchmark runs on the default backend; its scikit-learn rows run on
# the host CPU. Full outputs go to $OUT (or a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"

python -c "import jax; print('JAX', jax.__version__, 'devices:', jax.devices())"

core_status="not run (experiments/bench_core.py missing)"
if [ -f experiments/bench_core.py ]; then
  if timeout 150 python experiments/bench_core.py --quick --dtypes float32 \
      > "$out/core.txt" 2>&1; then
    core_status="ok"
  else
    core_status="failed or timed out (exit $?), see $out/core.txt"
  fi
  echo "## core benchmark (bench_core.py --quick, float32): $core_status"
  cat "$out/core.txt"
fi

echo "## sweep benchmark (bench_sweep.py, float32)"
timeout 180 python experiments/bench_sweep.py --dtype float32 --host-devices 1 \
  --chunk-sizes auto,16 --repeats 3 --sklearn-iters 50 --json "$out/sweep.json" \
  | tee "$out/sweep.txt"

python - "$out/sweep.json" "$core_status" <<'PY'
import json, sys

data = json.load(open(sys.argv[1]))
steps = data["steps"]
rate = lambda r: r["configs"] * r["iters"] / r["seconds"] / steps
rows = data["rows"]
loop = next(r for name, r in rows if name.startswith("loop"))
sk = next(r for name, r in rows if name.startswith("scikit"))
print("\n## summary (float32, 64 configurations at 257 × 889, K = 2)")
print("| way | devices | chunk | configs/s | × loop | × scikit-learn |")
print("| --- | --- | --- | --- | --- | --- |")
for name, r in rows:
    print(f"| {name} | {r.get('devices', 1)} | {r.get('chunk', '–')} | "
          f"{rate(r):.2f} | {rate(r) / rate(loop):.2f} | {rate(r) / rate(sk):.1f} |")
print(f"\ncore benchmark: {sys.argv[2]}")
PY
