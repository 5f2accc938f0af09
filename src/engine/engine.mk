# engine.mk — build fragment for src/engine (see Makefile.am)
# src/providers/local.c starts as the lead's "not built yet" placeholder; the
# engine engineer replaces the file's contents (keep this line, add the rest below).
libversus_a_SOURCES += src/providers/local.c
libversus_a_SOURCES += \
	src/engine/gguf.c src/engine/gguf.h \
	src/engine/arch.c src/engine/arch.h \
	src/engine/ops.c src/engine/ops.h \
	src/engine/model.c src/engine/model.h src/engine/model_impl.h \
	src/engine/forward.c src/engine/forward_ffn.c \
	src/engine/sampler.c src/engine/sampler.h \
	src/engine/engine.c src/engine/engine.h

check_PROGRAMS += tests/test_gguf
TESTS += tests/test_gguf
tests_test_gguf_SOURCES = tests/test_gguf.c
tests_test_gguf_CFLAGS = $(TEST_CFLAGS)
tests_test_gguf_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/test_model
TESTS += tests/test_model
tests_test_model_SOURCES = tests/test_model.c tests/engine_ref.c tests/engine_ref.h
tests_test_model_CFLAGS = $(TEST_CFLAGS)
tests_test_model_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/test_engine
TESTS += tests/test_engine
tests_test_engine_SOURCES = tests/test_engine.c
tests_test_engine_CFLAGS = $(TEST_CFLAGS)
tests_test_engine_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/test_llama3_chat
TESTS += tests/test_llama3_chat
tests_test_llama3_chat_SOURCES = tests/test_llama3_chat.c tests/engine_ref.c tests/engine_ref.h
tests_test_llama3_chat_CFLAGS = $(TEST_CFLAGS)
tests_test_llama3_chat_LDADD = $(TEST_LIBS)
libversus_a_SOURCES += src/engine/mapguard.c src/engine/mapguard.h

check_PROGRAMS += tests/test_threadpool
TESTS += tests/test_threadpool
tests_test_threadpool_SOURCES = tests/test_threadpool.c
tests_test_threadpool_CFLAGS = $(TEST_CFLAGS)
tests_test_threadpool_LDADD = $(TEST_LIBS)
