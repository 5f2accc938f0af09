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
