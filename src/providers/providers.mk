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

check_PROGRAMS += tests/test_sse tests/test_ndjson
TESTS += tests/test_sse tests/test_ndjson
tests_test_sse_SOURCES = tests/test_sse.c
tests_test_sse_CFLAGS = $(TEST_CFLAGS)
tests_test_sse_LDADD = $(TEST_LIBS)
tests_test_ndjson_SOURCES = tests/test_ndjson.c
tests_test_ndjson_CFLAGS = $(TEST_CFLAGS)
tests_test_ndjson_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/test_providers
TESTS += tests/test_providers
tests_test_providers_SOURCES = tests/test_providers.c
tests_test_providers_CFLAGS = $(TEST_CFLAGS)
tests_test_providers_LDADD = $(TEST_LIBS)

# Wire transcripts (also read by the fake provider); listed so make dist carries them.
EXTRA_DIST += tests/transcripts/.gitattributes tests/transcripts/README.md \
	tests/transcripts/anthropic-happy.sse \
	tests/transcripts/anthropic-midstream-error.sse \
	tests/transcripts/anthropic-thinking.sse \
	tests/transcripts/anthropic-truncated.sse \
	tests/transcripts/compat-done-no-blank.sse \
	tests/transcripts/compat-llama-happy.sse \
	tests/transcripts/compat-llama-old-error.sse \
	tests/transcripts/compat-llama-reasoning.sse \
	tests/transcripts/compat-openrouter-error.sse \
	tests/transcripts/compat-openrouter.sse \
	tests/transcripts/compat-vllm-flat-error.sse \
	tests/transcripts/gemini-bare-error.sse \
	tests/transcripts/gemini-happy.sse \
	tests/transcripts/gemini-midstream-error.sse \
	tests/transcripts/gemini-no-usage.sse \
	tests/transcripts/gemini-thinking.sse \
	tests/transcripts/gemini-truncated.sse \
	tests/transcripts/ollama-crlf-no-final-newline.ndjson \
	tests/transcripts/ollama-happy.ndjson \
	tests/transcripts/ollama-midstream-error.ndjson \
	tests/transcripts/ollama-thinking.ndjson \
	tests/transcripts/openai-cr-framing.sse \
	tests/transcripts/openai-happy.sse \
	tests/transcripts/openai-midstream-error.sse \
	tests/transcripts/openai-no-usage.sse \
	tests/transcripts/openai-reasoning-length.sse \
	tests/transcripts/openai-utf8.sse
