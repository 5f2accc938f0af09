# engine.mk — build fragment for src/engine (see Makefile.am)
# src/providers/local.c starts as the lead's "not built yet" placeholder; the
# engine engineer replaces the file's contents (keep this line, add the rest below).
libversus_a_SOURCES += src/providers/local.c
libversus_a_SOURCES += \
	src/engine/gguf.c src/engine/gguf.h

check_PROGRAMS += tests/test_gguf
TESTS += tests/test_gguf
tests_test_gguf_SOURCES = tests/test_gguf.c
tests_test_gguf_CFLAGS = $(TEST_CFLAGS)
tests_test_gguf_LDADD = $(TEST_LIBS)
