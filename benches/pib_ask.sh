#!/usr/bin/env bash
# The founding question with 563 PIB releases in the way: ingest the two seeds plus
# ../shared/data/news/pib-2026-08.jsonl into a throwaway data dir, ask "What did SIDBI
# announce?", and check that the answer is still seed 002's lead sentence, cited.
# Usage: benches/pib_ask.sh [PATH/TO/pib-2026-08.jsonl]
set -euo pipefail
cd "$(dirname "$0")/.."
pib=${1:-../shared/data/news/pib-2026-08.jsonl}
[ -f "$pib" ] || { echo "no PIB file at $pib (pass its path)"; exit 2; }
bin=${NEWSDESK_BIN:-target/release/newsdesk}
[ -n "${NEWSDESK_BIN:-}" ] || cargo build --release --quiet
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
/usr/bin/time -f "ingest: %e s wall, %M KiB max RSS" \
  "$bin" --data "$data" --log warn ingest --quiet fixtures/seeds "$pib"
/usr/bin/time -f "ask: %e s wall (includes model and index load)" \
  "$bin" --data "$data" --log warn ask "What did SIDBI announce?" --json > "$data/answer.json"
python3 - "$data/answer.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
first = r["answer"][0] if r["answered"] else None
ok = bool(first) and first["text"].startswith(
    "The Small Industries Development Bank of India (SIDBI) has launched")
print(json.dumps({"answered": r["answered"], "confidence": round(r["confidence"], 3),
                  "first": first and first["text"][:90],
                  "citation": first and {k: first["citation"][k] for k in ("article_id", "source", "published", "start", "end")},
                  "ok": ok}, indent=1))
sys.exit(0 if ok else 1)
PY
du -sh "$data" | sed 's/^/data dir: /'
