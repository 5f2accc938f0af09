# bench.mk — bench/: tools that measure the engine or make models for it.
# Built by `make`, never run by `make check`. Figures are in BENCHMARKS.md.
noinst_PROGRAMS += bench/versus-matvec-bench bench/versus-mkmodel
bench_versus_matvec_bench_SOURCES = bench/matvec-bench.c
bench_versus_matvec_bench_LDADD = $(VERSUS_LIBS)
bench_versus_mkmodel_SOURCES = bench/mkmodel.c
bench_versus_mkmodel_LDADD = $(VERSUS_LIBS)
EXTRA_DIST += bench/tui-load.sh bench/compare-llama-cpp.sh bench/make-random-llama.py bench/gpu.sh
