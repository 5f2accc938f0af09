# engine.mk — src/engine: the built-in inference engine: GGUF reading and
# writing, tokenizers and chat templates, the block formats and their CPU
# kernels, the model's forward pass, the CUDA backend's host side, sampling,
# the worker thread, model references and downloads, memory bandwidth.
libversus_a_SOURCES += \
	src/engine/gguf.c src/engine/gguf.h \
	src/engine/gguf_write.c src/engine/gguf_write.h \
	src/engine/mapguard.c src/engine/mapguard.h \
	src/engine/unicode_ranges.c src/engine/unicode_ranges.h \
	src/engine/unicode_ranges_data.c \
	src/engine/pretokenize.c src/engine/pretokenize.h \
	src/engine/tokenizer.c src/engine/tokenizer.h src/engine/tokenizer_impl.h \
	src/engine/tokenizer_spm.c src/engine/tokenizer_bpe.c \
	src/engine/token_decoder.c src/engine/token_decoder.h \
	src/engine/chat_template.c src/engine/chat_template.h \
	src/engine/jinja.h src/engine/jinja_impl.h src/engine/jinja_arena.c \
	src/engine/jinja_lex.c src/engine/jinja_parse.c src/engine/jinja_eval.c \
	src/engine/jinja_value.c src/engine/jinja_builtins.c \
	src/engine/think_split.c src/engine/think_split.h \
	src/engine/quant.c src/engine/quant.h src/engine/quant_impl.h \
	src/engine/quant_dot.c src/engine/quant_avx2.c \
	src/engine/panel.c src/engine/panel.h src/engine/panel_avx2.c \
	src/engine/kvcache.c src/engine/kvcache.h src/engine/kvcache_impl.h src/engine/kvcache_avx2.c \
	src/engine/kvcache_exact.c \
	src/engine/matmul.c src/engine/matmul.h \
	src/engine/threadpool.c src/engine/threadpool.h \
	src/engine/arch.c src/engine/arch.h \
	src/engine/ops.c src/engine/ops.h src/engine/ops_impl.h src/engine/ops_avx2.c src/engine/simd_avx2.h \
	src/engine/model.c src/engine/model.h src/engine/model_impl.h \
	src/engine/forward.c src/engine/forward_ffn.c \
	src/engine/backend_cuda.c src/engine/backend_cuda.h \
	src/engine/sampler.c src/engine/sampler.h \
	src/engine/engine.c src/engine/engine.h \
	src/engine/model_ref.c src/engine/model_ref.h \
	src/engine/sha256.c src/engine/sha256.h \
	src/engine/download.c src/engine/download.h \
	src/engine/membw.c src/engine/membw.h

# The generator of unicode_ranges_data.c (needs unicodedata2 15.1.0; see its header).
EXTRA_DIST += src/engine/unicode_ranges_gen.py

# Real chat templates, the conversations they are rendered with, and what
# Python's Jinja2 renders (tests/tools/chat_template_reference.py makes it).
EXTRA_DIST += tests/data/chat_templates tests/tools/chat_template_reference.py \
	tests/tools/chat_template_llamacpp.py
