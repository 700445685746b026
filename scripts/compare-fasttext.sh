#!/bin/sh
# Trains fastText and Docent's classifier on a CLINC150-shaped file in the
# same minute and prints both: in-scope accuracy, OOS recall (threshold by
# the paper's rule on val + oos_val), training wall seconds, and the ratio
# of training times. fastText runs with the settings of shared/BENCHMARKS.md.
# Usage: scripts/compare-fasttext.sh data_full.json   (needs python3 and go;
# installs Debian's fasttext package when it is missing and we are root)
set -eu
data=${1:?usage: $0 data.json}
if ! command -v fasttext >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq fasttext >/dev/null
  else
    echo "fasttext is not installed: apt-get install fasttext" >&2; exit 1
  fi
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$data" "$tmp" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); out = sys.argv[2]
def w(name, rows, label=None):
    with open(f"{out}/{name}.txt", "w") as f:
        for t, l in rows:
            f.write(f"__label__{label or l} {t}\n")
w("train", d["train"])
w("val", d.get("val", []) + d.get("oos_val", []))
w("test", d["test"] + d.get("oos_test", []))
PY
go build -o "$tmp/docent" .
start=$(date +%s.%N)
fasttext supervised -input "$tmp/train.txt" -output "$tmp/ft" -epoch 25 -wordNgrams 2 -lr 0.5 -minn 3 -maxn 5 -bucket 200000 -thread 2 -verbose 0
end=$(date +%s.%N)
fasttext predict-prob "$tmp/ft.bin" "$tmp/val.txt" 1 > "$tmp/val.pred"
fasttext predict-prob "$tmp/ft.bin" "$tmp/test.txt" 1 > "$tmp/test.pred"
python3 - "$tmp" "$start" "$end" <<'PY'
import sys, os
tmp, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def load(name):
    gold = [l.split()[0][9:] for l in open(f"{tmp}/{name}.txt")]
    pred = [(l.split()[0][9:], float(l.split()[1])) for l in open(f"{tmp}/{name}.pred")]
    return list(zip(gold, pred))
def score(rows, thr):
    inn = [g == p for g, (p, s) in rows if g != "oos" and s >= thr]
    nin = sum(1 for g, _ in rows if g != "oos")
    rej = sum(1 for g, (p, s) in rows if g == "oos" and s < thr)
    nout = sum(1 for g, _ in rows if g == "oos")
    return sum(inn) / max(nin, 1), rej / max(nout, 1), (sum(inn) + rej) / len(rows)
val = load("val")
best = max(sorted({s for _, (_, s) in val} | {0.0}), key=lambda t: (score(val, t)[2], -t))
acc, rec, _ = score(load("test"), best)
print(f"fastText: in_scope {100*acc:.1f}%  oos_recall {100*rec:.1f}%  threshold {best:.3f}  train {end-start:.2f}s  model {os.path.getsize(tmp+'/ft.bin')/1e6:.0f} MB")
PY
DOCENT_CONFIG= "$tmp/docent" eval --config config.example.yaml --dataset "$data" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
ft = float(sys.argv[2]) - float(sys.argv[1])
print("docent:   in_scope %.1f%%  oos_recall %.1f%%  threshold %.3f  train %.2fs  model %.1f MB  p99 %.0f us  peak RSS %.0f MB" % (
    100*r["in_scope_accuracy"], 100*(r["oos_recall"] or 0), r["threshold"], r["train_seconds"], r["model_bytes"]/1e6, r["predict_p99_us"], r["peak_rss_bytes"]/1e6))
print("training: docent is %.1fx faster than fastText" % (ft / r["train_seconds"]))' "$start" "$end"
