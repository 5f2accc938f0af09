#!/usr/bin/env python3
"""ratings_reference.py — an independent computation of versus's ratings, to
check src/eval (battles.c, style.c, bradley_terry.c) against.

  python3 tests/tools/ratings_reference.py make-cases tests/ratings/cases.jsonl
      writes the labelled rounds the test uses (deterministic)
  python3 tests/tools/ratings_reference.py expect tests/ratings/cases.jsonl tests/ratings/expected.json
      computes, with numpy and scipy, what versus must get from them

Written from LMArena's published method (arena-rank's BradleyTerry and
ContextualBradleyTerry, FastChat's markdown counts), not from versus's C:
battles come from the labels (winner beats each candidate that ran; ties and
both-bad are 0.5 for every pair; losers of a won round do not meet), the
style counts use Python regular expressions, and the fits use a design matrix
with model 0 as reference, solved by scipy's trust-region Newton (then
centred), where versus uses a centring penalty and its own Newton steps.
Pairwise intervals are Wilson score intervals. Needs numpy and scipy; CI
does not run it: its output is committed beside the cases."""
import json
import math
import re
import sys

def make_cases(path):
    # three models: a verbose markdown-heavy API model, a terse API model, a local model
    A, B, C = "openai:gpt-4o-2024-08-06", "anthropic:claude-sonnet-4-5", "local:Qwen2.5-7B-Instruct-Q4_K_M.gguf"
    def md(n_head, n_bold, n_list, words):
        parts = []
        for i in range(n_head):
            parts.append("#" * (1 + i % 3) + " Section %d" % (i + 1))
        body = " ".join("word%d" % k for k in range(words))
        for i in range(n_bold):
            body += " **key point %d**" % i
        parts.append(body)
        for i in range(n_list):
            parts.append(("- item %d" % i) if i % 2 == 0 else ("%d. step" % i))
        parts.append("```\n# not a header\n- not a list\n```")
        return "\n".join(parts)
    # (category, candidates, outcome, winner index or None)
    plan = [
        ("billing", [A, B, C], "win", 0), ("billing", [A, C], "win", 0), ("billing", [B, C], "win", 1),
        ("billing", [A, B], "win", 1), ("billing", [A, C], "tie", None), ("billing", [A, B, C], "win", 2),
        ("code", [A, B], "win", 0), ("code", [A, C], "win", 0), ("code", [B, C], "win", 0),
        ("code", [A, C], "win", 1), ("code", [A, B], "both_bad", None), ("code", [B, C], "tie", None),
        ("code", [A, B, C], "win", 1), ("summaries", [A, C], "win", 1), ("summaries", [B, C], "win", 1),
        ("summaries", [A, B], "win", 0), ("summaries", [A, C], "win", 0), ("summaries", [A, B, C], "tie", None),
        ("summaries", [B, C], "win", 0), ("summaries", [A, C], "win", 0), ("billing", [A, B], "win", 0),
        ("code", [B, C], "win", 1), ("billing", [A, C], "win", 1), ("summaries", [A, B], "win", 1),
    ]
    style_of = {A: (3, 4, 5, 120), B: (0, 1, 1, 45), C: (1, 0, 2, 70)}
    out = []
    for i, (cat, cands, outcome, w) in enumerate(plan):
        cs = []
        for k, spec in enumerate(cands):
            h, b, l, words = style_of[spec]
            # vary the style from round to round so the features are not constant
            text = md((h + i) % 5, (b + 2 * i) % 4, (l + i) % 6, words + 7 * ((i * (k + 1)) % 5))
            kind = spec.split(":")[0]
            c = {"spec": spec, "provider": kind, "model": spec.split(":", 1)[1], "status": "ok", "text": text,
                 "attempts": 1, "usage": {"input_tokens": 30 + i, "output_tokens": words},
                 "metrics": {"ttft_ms": 200 + 10 * i, "total_ms": 900 + 40 * i,
                             "output_tokens_per_s": 40.0, "cost_usd": 0.0}}
            cs.append(c)
        # round 5: the API model was refused (restricted data): it did not run
        sens = "public"
        if i == 5:
            sens = "restricted"
            cs[0] = {"spec": A, "provider": "openai", "model": A.split(":", 1)[1], "status": "not_sent",
                     "text": "", "attempts": 0,
                     "error": {"http_status": 0, "type": "sensitivity", "message": "refused: restricted"},
                     "metrics": {"ttft_ms": None, "total_ms": None, "cost_usd": None}}
        case = {"versus_fixture": 1, "id": "ratings#%d" % (i + 1), "session": "ratings", "round": i + 1,
                "prompt": "question %d" % (i + 1), "category": cat, "sensitivity": sens, "outcome": outcome,
                "candidates": cs}
        if outcome == "win":
            case["winner"] = cands[w]
            case["winner_index"] = w
        out.append(case)
    with open(path, "w") as f:
        for c in out:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")

# ---- style counts (FastChat's markdown counts; fenced blocks removed whole) ----

CODE = re.compile(r"```[^`]*```")

def style(text):
    chars = len(text)  # Python counts characters, as versus counts UTF-8 lead bytes
    t = CODE.sub("", text)
    headers = sum(len(re.findall(r"^#{%d}\s" % k, t, re.MULTILINE)) for k in range(1, 7))
    lists = len(re.findall(r"^\s*\d+\.\s", t, re.MULTILINE)) + len(re.findall(r"^\s*[-*+]\s", t, re.MULTILINE))
    bold = len(re.findall(r"\*\*[^*\n]+\*\*", t)) + len(re.findall(r"__[^_\n]+__", t))
    return [chars / 4.0, headers, bold, lists]

def took_part(c):
    return c.get("status") != "not_sent" and (c.get("status") == "ok" or len(c.get("text") or "") > 0)

def battles(cases, models):
    out = []
    for case in cases:
        o = case["outcome"]
        if o == "unlabelled":
            continue
        cs = case["candidates"]
        part = [took_part(c) for c in cs]
        f = [style(c.get("text") or "") for c in cs]
        w = case.get("winner_index")
        for i in range(len(cs)):
            for j in range(i + 1, len(cs)):
                if not (part[i] and part[j]):
                    continue
                if o == "win":
                    if i != w and j != w:
                        continue  # losers of a won round do not meet
                    if not part[w]:
                        continue
                    y = 1.0 if i == w else 0.0
                else:
                    y = 0.5
                z = [((f[i][k] - f[j][k]) / (f[i][k] + f[j][k])) if (f[i][k] + f[j][k]) != 0 else 0.0
                     for k in range(4)]
                out.append((models.index(cs[i]["spec"]), models.index(cs[j]["spec"]), y, z))
    return out

def fit(n, bat, with_style, reg=1.0, min_pair=50.0):
    import numpy as np
    from scipy.optimize import minimize
    m = len(bat)
    y = np.array([b[2] for b in bat])
    X = np.zeros((m, n - 1 + (4 if with_style else 0)))
    for r, (a, b, _, _) in enumerate(bat):
        if a > 0:
            X[r, a - 1] += 1.0
        if b > 0:
            X[r, b - 1] -= 1.0
    w = np.ones(m)
    if with_style:
        Z = np.array([b[3] for b in bat], dtype=float)
        mu, sd = Z.mean(axis=0), Z.std(axis=0)
        sd[sd == 0] = 1.0
        X[:, n - 1:] = (Z - mu) / sd
        pair = {}
        for a, b, _, _ in bat:
            key = (min(a, b), max(a, b))
            pair[key] = pair.get(key, 0) + 1
        w = np.array([1.0 / max(pair[(min(a, b), max(a, b))], min_pair) for a, b, _, _ in bat])
        w = w / w.mean()
    k = 4 if with_style else 0
    R = np.zeros(X.shape[1])
    if with_style:
        R[n - 1:] = reg

    def f(p):
        t = X @ p
        return np.mean(w * (np.logaddexp(0, t) - y * t)) + 0.5 * np.sum(R * p * p)

    def g(p):
        t = X @ p
        s = 1 / (1 + np.exp(-t))
        return X.T @ (w * (s - y)) / m + R * p

    def h(p):
        t = X @ p
        s = 1 / (1 + np.exp(-t))
        return (X.T * (w * s * (1 - s))) @ X / m + np.diag(R)

    res = minimize(f, np.zeros(X.shape[1]), jac=g, hess=h, method="trust-exact", options={"gtol": 1e-13})
    p = res.x
    theta = np.concatenate([[0.0], p[:n - 1]])
    theta -= theta.mean()
    elo = 1000 + theta * 400 / math.log(10)
    return [float(v) for v in elo], [float(v) for v in p[n - 1:]] if with_style else [], float(np.max(np.abs(g(p))))

def wilson(score, n, z=1.959963984540054):
    p = score / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h

def expect(cases_path, out_path):
    cases = [json.loads(l) for l in open(cases_path) if l.strip()]
    models = []
    for c in cases:
        for cand in c["candidates"]:
            if cand["spec"] not in models:
                models.append(cand["spec"])
    bat = battles(cases, models)
    n = len(models)
    plain, _, g1 = fit(n, bat, False)
    styled, coef, g2 = fit(n, bat, True)
    pairs = []
    for i in range(n):
        for j in range(i + 1, n):
            score = sum(b[2] if b[0] == i else 1 - b[2] for b in bat if {b[0], b[1]} == {i, j})
            meet = sum(1 for b in bat if {b[0], b[1]} == {i, j})
            lo, hi = wilson(score, meet)
            pairs.append({"a": i, "b": j, "score_a": score, "meetings": meet, "rate_a": score / meet,
                          "wilson_lo": lo, "wilson_hi": hi})
    doc = {"about": "expected by tests/tools/ratings_reference.py from cases.jsonl; checked by test_ratings",
           "models": models, "battles": len(bat), "skipped_candidates": sum(
               1 for c in cases for cand in c["candidates"] if c["outcome"] != "unlabelled" and not took_part(cand)),
           "plain_ratings": plain, "style_ratings": styled, "style_coefs": coef, "pairs": pairs,
           "max_gradient": max(g1, g2)}
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make-cases":
        make_cases(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "expect":
        expect(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
