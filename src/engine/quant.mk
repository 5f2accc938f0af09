# quant.mk — CPU numerics of the built-in engine: ggml block formats, dot
# kernels (portable + AVX2), matrix products, the thread pool, the GGUF writer
# and the tools that measure or generate models (see Makefile.am).
libversus_a_SOURCES += \
	src/engine/quant.c src/engine/quant.h src/engine/quant_impl.h \
	src/engine/quant_dot.c src/engine/quant_avx2.c \
	src/engine/panel.c src/engine/panel.h src/engine/panel_avx2.c \
	src/engine/matmul.c src/engine/matmul.h \
	src/engine/threadpool.c src/engine/threadpool.h \
	src/engine/gguf_write.c src/engine/gguf_write.h

check_PROGRAMS += tests/test_quant tests/test_matmul tests/test_panel tests/test_gguf_write
TESTS += tests/test_quant tests/test_matmul tests/test_panel tests/test_gguf_write
tests_test_quant_SOURCES = tests/test_quant.c
tests_test_quant_CFLAGS = $(TEST_CFLAGS)
tests_test_quant_LDADD = $(TEST_LIBS)
tests_test_matmul_SOURCES = tests/test_matmul.c
tests_test_matmul_CFLAGS = $(TEST_CFLAGS)
tests_test_matmul_LDADD = $(TEST_LIBS)
tests_test_panel_SOURCES = tests/test_panel.c
tests_test_panel_CFLAGS = $(TEST_CFLAGS)
tests_test_panel_LDADD = $(TEST_LIBS)
tests_test_gguf_write_SOURCES = tests/test_gguf_write.c
tests_test_gguf_write_CFLAGS = $(TEST_CFLAGS)
tests_test_gguf_write_LDADD = $(TEST_LIBS)

# Benchmarks and tools: built by `make`, never run by `make check`.
noinst_PROGRAMS += bench/versus-matvec-bench
bench_versus_matvec_bench_SOURCES = bench/matvec-bench.c
bench_versus_matvec_bench_LDADD = $(VERSUS_LIBS)
noinst_PROGRAMS += bench/versus-mkmodel
bench_versus_mkmodel_SOURCES = bench/mkmodel.c
bench_versus_mkmodel_LDADD = $(VERSUS_LIBS)
