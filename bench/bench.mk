# bench.mk — versus bench and its helpers (see Makefile.am)
# `versus bench` (src/cli/bench.c) and the memory bandwidth probe it compares
# decode against (src/engine/membw.c). See BENCHMARKS.md for figures.
libversus_a_SOURCES += \
	src/cli/bench.c \
	src/engine/membw.c src/engine/membw.h

check_PROGRAMS += tests/test_bench
TESTS += tests/test_bench
tests_test_bench_SOURCES = tests/test_bench.c
tests_test_bench_CFLAGS = $(TEST_CFLAGS)
tests_test_bench_LDADD = $(TEST_LIBS)
