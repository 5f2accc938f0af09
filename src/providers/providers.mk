# providers.mk — build fragment for src/providers and the stream framings in
# src/net/sse.c, src/net/ndjson.c (see Makefile.am)
libversus_a_SOURCES += \
	src/net/sse.c src/net/sse.h \
	src/net/ndjson.c src/net/ndjson.h \
	src/providers/providers.c src/providers/builtin.h \
	src/providers/wire.c src/providers/wire.h \
	src/providers/openai_common.c src/providers/openai_common.h \
	src/providers/openai.c src/providers/openai_compat.c \
	src/providers/anthropic.c src/providers/gemini.c src/providers/ollama.c
