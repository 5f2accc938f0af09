#!/usr/bin/env python3
"""make_reference.py - writes the llama.cpp agreement fixtures that
tests/test_agreement.c reads (tests/reference/*.json). Run by
tests/tools/make-reference.sh, which builds llama.cpp and the two helper
programs first; see tests/README.md.

For every model and token sequence it asks llama.cpp (through ref-logits, a
small program against libllama) for the raw float32 logits of every position,
once with an F32 KV cache and once with an F16 one, and keeps per position:
  top  - llama.cpp's 10 best [id, logit] with the F32 cache, best first
  f16  - the logits of those same ids with the F16 cache
The test derives its tolerance from these two: the largest |f16 - f32| over
every position of the model (llama.cpp's own F16-vs-F32 KV-cache difference).

Random-weight models (tests/archgen.c) are written by versus-archgen and
recorded with their sha256, so the test can prove it rebuilt the same bytes.
Real models are recorded with the sha256 of the file that was scored.
"""
import argparse
import array
import hashlib
import heapq
import json
import os
import random
import subprocess
import sys
import tempfile

TOP = 10
RANDOM_TYPES = ["Q8_0", "Q4_0", "Q4_K", "Q6_K"]
RANDOM_SEED = 20261207
RANDOM_TOKENS = 32
# llama.cpp's batched decode of a model whose every layer slides differs from
# its own token-by-token decode (positions 19-24 of 32, window 6); that one is
# scored token by token, which is what llama.cpp computes when it generates.
RANDOM_UBATCH = {"olmo2-swa-every-layer": 1}

CHATML = "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
SMOL_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

# (text, chat?, greedy tokens llama.cpp appends before scoring)
SMOLLM2_PROMPTS = [
    ("The capital of France is", False, 24),
    ("def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n", False, 24),
    ("Water boils at 100 degrees Celsius at sea level because", False, 24),
    ("Once upon a time, in a small village by the sea, there lived", False, 24),
    ("What is the capital of France?", True, 24),
    ("Write a haiku about autumn leaves.", True, 24),
    ("Explain in one sentence why the sky is blue.", True, 24),
    ("List three prime numbers greater than ten.", True, 24),
]
GEMMA_PROMPTS = [
    ("The capital of France is", False, 16),
    ("The quick brown fox jumps over", False, 16),
    ("In mathematics, a prime number is", False, 16),
    ("import numpy as np\n\ndef mean(xs):\n", False, 16),
    ("Paris, London and Berlin are", False, 16),
]
STORIES_PROMPTS = [
    ("Once upon a time", False, 40),
    ("Lily and Tom went to the park", False, 40),
    ("The little dog was sad because", False, 40),
]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_ref(ref_bin, model, kv, tmp, tokens=None, text=None, generate=0, ubatch=0):
    """Runs ref-logits; returns (ids, rows of logits)."""
    out_t = os.path.join(tmp, "tokens.txt")
    out_l = os.path.join(tmp, "logits.bin")
    cmd = [ref_bin, model, "--kv", kv, "--out-tokens", out_t, "--out-logits", out_l]
    cmd += ["--tokens", ",".join(map(str, tokens))] if tokens is not None else ["--text", text]
    if generate:
        cmd += ["--generate", str(generate)]
    if ubatch:
        cmd += ["--ubatch", str(ubatch)]
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("ref-logits failed on %s:\n%s" % (model, r.stderr[-2000:]))
    with open(out_t) as f:
        ids = [int(x) for x in f.read().strip().split(",")]
    raw = array.array("f")
    with open(out_l, "rb") as f:
        raw.frombytes(f.read())
    if sys.byteorder != "little":
        raw.byteswap()
    n_vocab = len(raw) // len(ids)
    rows = [raw[i * n_vocab:(i + 1) * n_vocab] for i in range(len(ids))]
    return ids, rows


def positions(rows32, rows16):
    out = []
    for r32, r16 in zip(rows32, rows16):
        best = heapq.nsmallest(TOP, range(len(r32)), key=lambda j: (-r32[j], j))
        out.append({
            "top": [[j, float("%.9g" % r32[j])] for j in best],
            "f16": [float("%.9g" % r16[j]) for j in best],
        })
    return out


def score(ref_bin, model, tmp, tokens=None, text=None, generate=0, ubatch=0):
    ids, rows32 = run_ref(ref_bin, model, "f32", tmp, tokens=tokens, text=text, generate=generate, ubatch=ubatch)
    _, rows16 = run_ref(ref_bin, model, "f16", tmp, tokens=ids, ubatch=ubatch)
    return ids, positions(rows32, rows16)


def reference_note(ubatch):
    how = "token by token" if ubatch == 1 else "one batch"
    return ("llama.cpp from the llama-cpp-python 0.3.36 sdist (vendor/llama.cpp), CPU backend, "
            "2 threads, flash attention off, %s, raw logits (llama_get_logits_ith)" % how)


def real_model(ref_bin, name, path, prompts, template, tmp):
    seqs = []
    for text, chat, gen in prompts:
        shown = CHATML.format(system=SMOL_SYSTEM, user=text) if chat else text
        ids, pos = score(ref_bin, path, tmp, text=shown, generate=gen)
        seqs.append({"text": shown, "chat_template": template if chat else "none", "tokens": ids,
                     "positions": pos})
        print("  %s: %d tokens" % (text[:40].replace("\n", " "), len(ids)), file=sys.stderr)
    return {"model": name, "file": os.path.basename(path), "sha256": sha256_file(path),
            "reference": reference_note(0), "kv_types": ["f32", "f16"], "sequences": seqs}


def random_model(ref_bin, archgen, spec, tmp):
    rng = random.Random(RANDOM_SEED)
    tokens = [rng.randrange(3, 512) for _ in range(RANDOM_TOKENS)]
    ubatch = RANDOM_UBATCH.get(spec, 0)
    models = []
    for t in RANDOM_TYPES:
        path = os.path.join(tmp, "%s-%s.gguf" % (spec, t))
        subprocess.run([archgen, spec, t, str(RANDOM_SEED), "-o", path], check=True)
        _, pos = score(ref_bin, path, tmp, tokens=tokens, ubatch=ubatch)
        models.append({"type": t, "sha256": sha256_file(path), "size": os.path.getsize(path), "positions": pos})
        os.unlink(path)
    doc = {"spec": spec, "seed": RANDOM_SEED, "generator": "tests/archgen.c (versus-archgen SPEC TYPE SEED)",
           "reference": reference_note(ubatch), "kv_types": ["f32", "f16"], "tokens": tokens, "models": models}
    if ubatch == 1:
        doc["why_token_by_token"] = ("llama.cpp's batched decode of this model (every layer sliding) differs "
                                     "from its own token-by-token decode at positions 19-24")
    return doc


def dumps(v, depth=0):
    """JSON with one line per position (and per short list), so fixtures stay small and diffable."""
    pad = " " * depth
    if isinstance(v, dict) and not ("top" in v and "f16" in v):
        items = ['%s "%s": %s' % (pad, k, dumps(x, depth + 1)) for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list) and v and isinstance(v[0], dict):
        return "[\n" + ",\n".join(pad + " " + dumps(x, depth + 1) for x in v) + "\n" + pad + "]"
    return json.dumps(v, separators=(",", ":"))


def write(out_dir, name, doc):
    path = os.path.join(out_dir, name + ".json")
    with open(path + ".tmp", "w") as f:
        f.write(dumps(doc) + "\n")
    os.replace(path + ".tmp", path)
    print("wrote %s" % path, file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref-logits", required=True)
    ap.add_argument("--archgen", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smollm2", help="SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--gemma", help="gemma-3-270m-q4_k_m.gguf")
    ap.add_argument("--stories", help="stories260K.gguf")
    ap.add_argument("--only", nargs="*", help="fixture names to (re)make; default all")
    a = ap.parse_args()
    specs = subprocess.run([a.archgen, "--list"], check=True, capture_output=True, text=True).stdout.split()
    want = set(a.only) if a.only else None
    os.makedirs(a.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            if want is None or "random-" + spec in want:
                print("random-%s" % spec, file=sys.stderr)
                write(a.out, "random-" + spec, random_model(a.ref_logits, a.archgen, spec, tmp))
        real = [("smollm2-135m-instruct-q4_1", a.smollm2, SMOLLM2_PROMPTS, "chatml"),
                ("gemma-3-270m-q4_k_m", a.gemma, GEMMA_PROMPTS, "none"),
                ("stories260k", a.stories, STORIES_PROMPTS, "none")]
        for name, path, prompts, template in real:
            if want is not None and name not in want:
                continue
            if not path:
                print("%s: no model file given, skipped" % name, file=sys.stderr)
                continue
            print(name, file=sys.stderr)
            write(a.out, name, real_model(a.ref_logits, name, path, prompts, template, tmp))


if __name__ == "__main__":
    main()
