#!/usr/bin/env python3
"""report_reference.py — an independent computation of the first section of
`versus report` (src/eval/report.c, costs.c, policy_check.c), to check it
number by number.

  python3 tests/tools/report_reference.py make-cases tests/report/cases.jsonl
  python3 tests/tools/report_reference.py expect tests/report/cases.jsonl tests/report/policy.json \
      3.6 100000 tests/report/expected.json

The arguments after the policy are the local machine's hourly rate (USD, as
config local_cost.gpu_hour_usd) and the monthly volume. Written from the
definitions in versus-policy(5) and versus(1) (LOCAL COST), not from the C:
per category, a model's win share is the labelled rounds it won of those it
took part in, with the 95% Wilson interval; a local model is priced at the
hourly rate over the medians of its measured prompt and decode speeds; the
policy (category rules and a default only) and the baselines (the closed API
with the highest mean cost per reply, the local model in most cases) are
compared on the labelled cases where all of them ran. Plain Python, no
packages."""
import json
import math
import statistics
import sys

A = "openai:gpt-4o-2024-08-06"
B = "anthropic:claude-haiku-4-5"
L = "local:Qwen2.5-7B-Instruct-Q4_K_M.gguf"
MODEL_FILE = "/models/Qwen2.5-7B-Instruct-Q4_K_M.gguf"

def make_cases(path):
    # (category, outcome, winner or None, local not sent?)
    plan = [("billing", "win", L, False), ("billing", "win", L, False), ("billing", "win", A, False),
            ("billing", "win", L, False), ("billing", "tie", None, False), ("billing", "win", L, False),
            ("code", "win", A, False), ("code", "win", A, False), ("code", "win", B, False),
            ("code", "both_bad", None, False), ("code", "win", A, False), ("code", "win", A, True)]
    prompt_tps = [900, 1000, 1100, 1000, 950, 1050, 1000, 980, 1020, 1000, 990]
    decode_tps = [48, 50, 52, 50, 49, 51, 50, 47, 53, 50, 50]
    out = []
    li = 0
    for i, (cat, outcome, winner, local_refused) in enumerate(plan):
        cands = []
        for spec in (A, B, L):
            c = {"spec": spec, "provider": spec.split(":")[0], "model": spec.split(":", 1)[1], "status": "ok",
                 "text": "answer from %s to round %d" % (spec, i + 1), "attempts": 1,
                 "usage": {"input_tokens": 200, "output_tokens": 100},
                 "metrics": {"ttft_ms": 300, "total_ms": 2300, "output_tokens_per_s": 45.0,
                             "cost_usd": {A: 0.0125, B: 0.004}.get(spec, 0)}}
            if spec == L:
                c["model"] = MODEL_FILE
                c["quant"] = "Q4_K"
                c["backend"] = "cuda"
                c["gpu"] = "NVIDIA H100 80GB HBM3"
                if local_refused:
                    c = {"spec": spec, "provider": "local", "model": MODEL_FILE, "status": "not_sent", "text": "",
                         "attempts": 0, "error": {"type": "model", "message": "no such model file"},
                         "metrics": {"ttft_ms": None, "total_ms": None, "cost_usd": None}}
                else:
                    # recorded at $0 by an older versus: the report re-prices it
                    c["metrics"]["prompt_tokens_per_s"] = prompt_tps[li]
                    c["metrics"]["output_tokens_per_s"] = decode_tps[li]
                    li += 1
            cands.append(c)
        case = {"versus_fixture": 1, "id": "report#%d" % (i + 1), "session": "report", "round": i + 1,
                "prompt": "question %d" % (i + 1), "category": cat, "sensitivity": "public", "outcome": outcome,
                "candidates": cands}
        if winner:
            case["winner"] = winner
            case["winner_index"] = [A, B, L].index(winner)
        out.append(case)
    with open(path, "w") as f:
        for c in out:
            f.write(json.dumps(c) + "\n")

def took_part(c):
    return c.get("status") != "not_sent" and (c.get("status") in ("ok", "refused", "blocked") or c.get("text"))

def wilson(k, n, z=1.959963984540054):
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h

def expect(cases_path, policy_path, rate, volume, out_path):
    cases = [json.loads(l) for l in open(cases_path) if l.strip()]
    policy = json.load(open(policy_path))
    models = []
    for c in cases:
        for x in c["candidates"]:
            if x["spec"] not in models:
                models.append(x["spec"])
    cats = []
    for c in cases:
        if c["category"] not in cats:
            cats.append(c["category"])
    # local pricing: hourly rate over median measured speeds
    def is_local(x):
        return x["provider"] in ("local", "ollama")
    local_price = {}
    for m in models:
        xs = [x for c in cases for x in c["candidates"] if x["spec"] == m and x["status"] != "not_sent"]
        if xs and is_local(xs[0]):
            pp = statistics.median([x["metrics"]["prompt_tokens_per_s"] for x in xs])
            tg = statistics.median([x["metrics"]["output_tokens_per_s"] for x in xs])
            per_s = rate / 3600
            local_price[m] = (per_s / pp * 1e6, per_s / tg * 1e6)
    def cost(x):
        if x["status"] == "not_sent":
            return None
        if x["spec"] in local_price:
            pi, po = local_price[x["spec"]]
            return (x["usage"]["input_tokens"] * pi + x["usage"]["output_tokens"] * po) / 1e6
        return x["metrics"]["cost_usd"]
    doc = {"about": "expected by tests/tools/report_reference.py; checked by test_report", "models": models,
           "categories": [], "costs": {}, "policy": {}}
    for cat in cats:
        rows = {}
        rounds = 0
        for c in cases:
            if c["category"] != cat or c["outcome"] == "unlabelled":
                continue
            rounds += 1
            for k, x in enumerate(c["candidates"]):
                if not took_part(x):
                    continue
                r = rows.setdefault(x["spec"], {"wins": 0, "ties": 0, "n": 0})
                r["n"] += 1
                r["wins"] += c["outcome"] == "win" and c.get("winner_index") == k
                r["ties"] += c["outcome"] == "tie"
        entry = {"category": cat, "rounds": rounds, "models": []}
        best = None
        for m in models:
            r = rows.get(m, {"wins": 0, "ties": 0, "n": 0})
            lo, hi = wilson(r["wins"], r["n"]) if r["n"] else (None, None)
            e = {"spec": m, "wins": r["wins"], "ties": r["ties"], "n": r["n"],
                 "rate": r["wins"] / r["n"] if r["n"] else None, "lo": lo, "hi": hi}
            entry["models"].append(e)
            if r["n"] and (best is None or e["rate"] > best["rate"]):
                best = e
        # nobody leads where nobody won; clear only of others that took part
        if best is not None and best["wins"] == 0:
            best = None
        others = [e for e in entry["models"] if e is not best and e["n"]]
        entry["leader"] = best["spec"] if best else None
        entry["separated"] = bool(best) and bool(others) and all(best["lo"] > e["hi"] for e in others)
        doc["categories"].append(entry)
    for m in models:
        cs = [cost(x) for c in cases for x in c["candidates"] if x["spec"] == m and x["status"] != "not_sent"]
        cs = [v for v in cs if v is not None]
        doc["costs"][m] = {"per_1k": 1000 * sum(cs) / len(cs), "priced": len(cs)}
    # the policy: category rules and a default
    def route(c):
        for rule in policy.get("rules", []):
            cs = rule.get("when", {}).get("category")
            if cs is not None and c["category"] in ([cs] if isinstance(cs, str) else cs):
                return rule["route"]
        return policy["default"]
    def judge(c, spec):
        if c["outcome"] == "unlabelled":
            return None
        for k, x in enumerate(c["candidates"]):
            if x["spec"] == spec and took_part(x):
                if c["outcome"] == "tie":
                    return 1
                if c["outcome"] == "both_bad":
                    return 0
                return int(c.get("winner_index") == k)
        return None
    def xcost(c, spec):
        for x in c["candidates"]:
            if x["spec"] == spec and took_part(x):
                return cost(x)
        return None
    closed = [m for m in models if m.split(":")[0] in ("openai", "anthropic", "gemini")]
    mean_cost = {m: doc["costs"][m]["per_1k"] / 1000 for m in models}
    frontier = max(closed, key=lambda m: mean_cost[m])
    local = max([m for m in models if m in local_price],
                key=lambda m: sum(1 for c in cases for x in c["candidates"] if x["spec"] == m))
    best_model, best_q = None, -1
    for m in models:
        js = [judge(c, m) for c in cases]
        js = [j for j in js if j is not None]
        q = sum(js) / len(js)
        if q > best_q:
            best_model, best_q = m, q
    specs = [None, frontier, local, best_model]
    good = [0] * 4
    cost_sum = [0.0] * 4
    common = priced = 0
    for c in cases:
        sp = [route(c) if s is None else s for s in specs]
        js = [judge(c, s) for s in sp]
        if any(j is None for j in js):
            continue
        common += 1
        for k in range(4):
            good[k] += js[k]
        cs = [xcost(c, s) for s in sp]
        if any(v is None for v in cs):
            continue
        priced += 1
        for k in range(4):
            cost_sum[k] += cs[k]
    labels = ["policy", "always frontier", "always local", "always best"]
    doc["policy"] = {"common_judged": common, "common_priced": priced, "baselines": [
        {"label": labels[k], "spec": specs[k] or "", "quality": good[k] / common,
         "cost_per_case": cost_sum[k] / priced, "monthly": cost_sum[k] / priced * volume} for k in range(4)],
        "quality_kept": (good[0] / common) / (good[1] / common), "volume": volume, "hour_usd": rate}
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make-cases":
        make_cases(sys.argv[2])
    elif len(sys.argv) == 7 and sys.argv[1] == "expect":
        expect(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    else:
        sys.exit(__doc__)
