# fuzz.mk — libFuzzer targets (configure CC=clang --enable-fuzzing, usually
# with --enable-sanitizers). `make fuzz FUZZ_SECONDS=600` runs every target for
# that long; `make fuzz-short` is CI's 30-second pass over each (fixed seed 1,
# so a CI run repeats the same mutations; FUZZ_SEED=N picks another).
FUZZ_TARGETS = tests/fuzz/fuzz_sse tests/fuzz/fuzz_ndjson tests/fuzz/fuzz_provider \
	tests/fuzz/fuzz_gguf tests/fuzz/fuzz_config tests/fuzz/fuzz_tokenizer tests/fuzz/fuzz_theme \
	tests/fuzz/fuzz_policy tests/fuzz/fuzz_fixture tests/fuzz/fuzz_keyfilter tests/fuzz/fuzz_jinja
EXTRA_DIST += tests/fuzz/run-fuzz.sh
if ENABLE_FUZZING
AM_CFLAGS += -fsanitize=fuzzer-no-link
noinst_PROGRAMS += $(FUZZ_TARGETS)
FUZZER_LINK_FLAGS = -fsanitize=fuzzer
tests_fuzz_fuzz_sse_SOURCES = tests/fuzz/fuzz_sse.c
tests_fuzz_fuzz_sse_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_sse_LDADD = $(VERSUS_LIBS)
tests_fuzz_fuzz_ndjson_SOURCES = tests/fuzz/fuzz_ndjson.c
tests_fuzz_fuzz_ndjson_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_ndjson_LDADD = $(VERSUS_LIBS)
tests_fuzz_fuzz_provider_SOURCES = tests/fuzz/fuzz_provider.c
tests_fuzz_fuzz_provider_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_provider_LDADD = $(VERSUS_LIBS)
tests_fuzz_fuzz_gguf_SOURCES = tests/fuzz/fuzz_gguf.c
tests_fuzz_fuzz_gguf_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_gguf_LDADD = $(VERSUS_LIBS)
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c
tests_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_config_LDADD = $(VERSUS_LIBS)

tests_fuzz_fuzz_tokenizer_SOURCES = tests/fuzz/fuzz_tokenizer.c
tests_fuzz_fuzz_tokenizer_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_tokenizer_LDADD = $(VERSUS_LIBS)
tests_fuzz_fuzz_theme_SOURCES = tests/fuzz/fuzz_theme.c
tests_fuzz_fuzz_theme_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_theme_LDADD = $(VERSUS_LIBS)
tests_fuzz_fuzz_policy_SOURCES = tests/fuzz/fuzz_policy.c
tests_fuzz_fuzz_policy_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_policy_LDADD = $(VERSUS_LIBS)
tests_fuzz_fuzz_fixture_SOURCES = tests/fuzz/fuzz_fixture.c
tests_fuzz_fuzz_fixture_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_fixture_LDADD = $(VERSUS_LIBS)
tests_fuzz_fuzz_keyfilter_SOURCES = tests/fuzz/fuzz_keyfilter.c
tests_fuzz_fuzz_keyfilter_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_keyfilter_LDADD = $(VERSUS_LIBS)
tests_fuzz_fuzz_jinja_SOURCES = tests/fuzz/fuzz_jinja.c
tests_fuzz_fuzz_jinja_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
tests_fuzz_fuzz_jinja_LDADD = $(VERSUS_LIBS)

FUZZ_SECONDS = 600
fuzz: $(FUZZ_TARGETS)
	$(SHELL) $(top_srcdir)/tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)
fuzz-short: $(FUZZ_TARGETS)
	FUZZ_SEED=$${FUZZ_SEED:-1} $(SHELL) $(top_srcdir)/tests/fuzz/run-fuzz.sh 30 $(FUZZ_TARGETS)
else
fuzz fuzz-short:
	@echo "fuzz targets need: ../configure CC=clang --enable-fuzzing --enable-sanitizers" >&2; exit 2
endif
.PHONY: fuzz fuzz-short
