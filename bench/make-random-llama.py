#!/usr/bin/env python3
"""make-random-llama.py — writes a llama-architecture GGUF with random weights
in F16 (or F32) through llama.cpp's own gguf-py, for side-by-side speed runs
(bench/compare-llama-cpp.sh quantizes it further with llama-quantize).

The weights are seeded normal(0, 0.02) noise, norms are 1: the file computes
nothing meaningful, but every tensor has the shape, type and layout of a real
model of that size, so both engines do the same work on it. The tokenizer
metadata is copied from a vocabulary GGUF (llama.cpp ships
models/ggml-vocab-llama-spm.gguf, TinyLlama's 32000-token vocabulary), so
llama.cpp loads the file as an ordinary model.

Not for accuracy tests (random weights) and not a converter.

usage: make-random-llama.py --gguf-py DIR --vocab VOCAB.gguf --shape 1B|tiny
                            [--type f16|f32] [--seed N] -o OUT.gguf
"""
import argparse
import os
import sys

SHAPES = {
    # name: (dim, layers, heads, kv_heads, ffn, context, rope_base)
    "tiny": (256, 2, 4, 2, 688, 2048, 10000.0),
    "1B": (2048, 22, 32, 4, 5632, 8192, 10000.0),      # TinyLlama-1.1B (context 8192: room for -d 4096)
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gguf-py", required=True, help="llama.cpp's gguf-py directory")
    ap.add_argument("--vocab", required=True, help="GGUF whose tokenizer.* metadata is copied")
    ap.add_argument("--shape", choices=sorted(SHAPES), default="1B")
    ap.add_argument("--type", choices=["f16", "f32"], default="f16")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()

    sys.path.insert(0, a.gguf_py)
    import numpy as np
    import gguf

    dim, n_layers, n_heads, n_kv, ffn, ctx, rope_base = SHAPES[a.shape]
    head_dim = dim // n_heads

    voc = gguf.GGUFReader(a.vocab)
    tok_fields = [f for f in voc.fields.values() if f.name.startswith("tokenizer.")]
    tokens = voc.fields.get("tokenizer.ggml.tokens")
    if tokens is None:
        sys.exit(f"{a.vocab}: no tokenizer.ggml.tokens")
    n_vocab = len(tokens.data)

    tmp = a.output + ".part"
    w = gguf.GGUFWriter(tmp, "llama")
    w.add_name(f"random-llama-{a.shape}")
    w.add_context_length(ctx)
    w.add_embedding_length(dim)
    w.add_block_count(n_layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(n_heads)
    w.add_head_count_kv(n_kv)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(rope_base)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if a.type == "f16" else gguf.LlamaFileType.ALL_F32)
    for f in tok_fields:
        vtype = f.types[0]
        if vtype == gguf.GGUFValueType.ARRAY:
            sub = f.types[-1]
            vals = [f.contents(i) for i in range(len(f.data))]
            w.add_key_value(f.name, vals, vtype, sub_type=sub)
        else:
            w.add_key_value(f.name, f.contents(), vtype)

    rng = np.random.default_rng(a.seed)
    wt = np.float16 if a.type == "f16" else np.float32

    def mat(rows, cols):
        # ggml shape [cols, rows]: numpy (rows, cols), row-major
        return (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(wt)

    def ones(n):
        return np.ones(n, dtype=np.float32)

    w.add_tensor("token_embd.weight", mat(n_vocab, dim))
    for l in range(n_layers):
        p = f"blk.{l}."
        w.add_tensor(p + "attn_norm.weight", ones(dim))
        w.add_tensor(p + "attn_q.weight", mat(n_heads * head_dim, dim))
        w.add_tensor(p + "attn_k.weight", mat(n_kv * head_dim, dim))
        w.add_tensor(p + "attn_v.weight", mat(n_kv * head_dim, dim))
        w.add_tensor(p + "attn_output.weight", mat(dim, n_heads * head_dim))
        w.add_tensor(p + "ffn_norm.weight", ones(dim))
        w.add_tensor(p + "ffn_gate.weight", mat(ffn, dim))
        w.add_tensor(p + "ffn_up.weight", mat(ffn, dim))
        w.add_tensor(p + "ffn_down.weight", mat(dim, ffn))
    w.add_tensor("output_norm.weight", ones(dim))
    w.add_tensor("output.weight", mat(n_vocab, dim))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, a.output)


if __name__ == "__main__":
    main()
