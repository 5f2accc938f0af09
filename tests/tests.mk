# tests.mk — every test program, in one list (see Makefile.am).
#
# Each Criterion suite is one program tests/NAME built from tests/NAME.c and
# linked with the shared test helpers (tests/libtesthelp.a: the loopback fake
# provider, the child-process harness, the tmux driver, the engine reference,
# the download server, the soak driver, the paths into $VERSUS_SHARED) and
# libversus.a. Adding a suite is one word in CRITERION_TESTS. Criterion is
# needed for `make check` only.
CRITERION_TESTS = \
	tests/test_core tests/test_util tests/test_config tests/test_sse tests/test_ndjson \
	tests/test_providers tests/test_transcripts tests/test_fakeprov tests/test_integration_run tests/test_ci_flow \
	tests/test_gguf tests/test_gguf_write tests/test_quant tests/test_matmul tests/test_panel tests/test_kvcache tests/test_ops \
	tests/test_threadpool tests/test_tokenizer tests/test_chat_template tests/test_jinja tests/test_jinja_templates \
	tests/test_think_split tests/test_chat_prompt tests/test_model \
	tests/test_engine tests/test_llama3_chat tests/test_download tests/test_bench tests/test_logits tests/test_agreement \
	tests/test_gpuinfo \
	tests/test_session tests/test_fixture tests/test_bradley_terry tests/test_policy \
	tests/test_report tests/test_outfile tests/test_export tests/test_local_cost \
	tests/test_tui_layout tests/test_tui_wrap tests/test_tui_statusbar tests/test_tui_theme \
	tests/test_tui_pane tests/test_tui_replyview tests/test_tui_e2e tests/test_tui_e2e_render tests/test_tui_e2e_input \
	tests/test_tui_e2e_rounds tests/test_tui_e2e_status tests/test_tui_e2e_terminal \
	tests/test_tui_e2e_conversation tests/test_tui_fetch \
	tests/test_faults tests/test_secrets tests/test_engine_faults tests/test_soak \
	tests/test_sessions_safe tests/test_perimeter tests/test_keyfilter tests/test_leaks tests/test_terminal tests/test_regexp tests/test_hostile_input \
	tests/test_tui_e2e_security tests/test_cli_contract tests/test_run_local

check_LIBRARIES = tests/libtesthelp.a
tests_libtesthelp_a_SOURCES = \
	tests/fake/fakeprov.c tests/fake/fakeprov.h \
	tests/fake/fake_scenario.c tests/fake/fake_scenario.h \
	tests/fake/fake_wire.c tests/fake/fake_wire.h \
	tests/harden/vchild.c tests/harden/vchild.h \
	tests/harden/vsuite.c tests/harden/vsuite.h \
	tests/harden/rawserver.c tests/harden/rawserver.h \
	tests/harden/netns.c tests/harden/netns.h \
	tests/soak/soak_run.c tests/soak/soak_run.h \
	tests/tui/tmux_driver.c tests/tui/tmux_driver.h tests/tui/rig_test.h \
	tests/engine_ref.c tests/engine_ref.h \
	tests/archgen.c tests/archgen.h \
	tests/dlserver.c tests/dlserver.h \
	tests/testenv.c tests/testenv.h
TEST_LIBS = tests/libtesthelp.a $(VERSUS_LIBS) $(CRITERION_LIBS)

if HAVE_CRITERION
check_PROGRAMS += $(CRITERION_TESTS)
TESTS += $(CRITERION_TESTS)
# the agreement suite again on the portable kernels (test_agreement itself
# runs the SIMD ones, the default)
TESTS += tests/agreement-portable.sh
else
TESTS += tests/no-criterion.sh
endif
EXTRA_DIST += tests/no-criterion.sh tests/agreement-portable.sh
LDADD = $(TEST_LIBS)

# Not Criterion: the include-layer check (README's Layout section gives the
# order), and the CUDA device test (prints SKIP and exits 77 without a GPU or
# without CUDA; `make check-gpu` in kernels/kernels.mk runs it in full).
TESTS += tests/check-layers.sh
EXTRA_DIST += tests/check-layers.sh
# ...and the check that every suite, fuzz target and valgrind entry is listed
# where it runs (a test file left out of these lists would silently never run).
TESTS += tests/check-lists.sh
EXTRA_DIST += tests/check-lists.sh
check_PROGRAMS += tests/gpu/test_cuda
TESTS += tests/gpu/test_cuda
tests_gpu_test_cuda_LDADD = $(VERSUS_LIBS)

# The fake NVML the gpuinfo test dlopens. Plain $(CC) on purpose: no
# sanitizer flags, so every build type can dlopen it.
EXTRA_tests_test_gpuinfo_DEPENDENCIES = tests/fake_nvml.so
tests/fake_nvml.so: $(top_srcdir)/tests/fake_nvml.c
	@$(MKDIR_P) tests
	$(AM_V_CC)$(CC) -std=c11 -D_GNU_SOURCE $(WARN_CFLAGS) -O1 -shared -fPIC -o $@ $(top_srcdir)/tests/fake_nvml.c
CLEANFILES += tests/fake_nvml.so
EXTRA_DIST += tests/fake_nvml.c

# Tools the tests and people run: the fake provider as a server (manual use,
# the TUI tests), and the soak driver. `make check-soak` is the full soak
# (16 x 2,000 tokens/s for a minute, 1,000 rounds); test_soak is its short form.
check_PROGRAMS += tests/fake/versus-fakeprov tests/soak/versus-soak tests/soak/versus-maxrss
# Without Criterion: the tmux suites start it from inside a Criterion test,
# whose sandbox variables a linked libcriterion would act on at start-up (it
# aborts when it can not attach to its parent's sandbox; clang keeps the
# library linked even though nothing calls it).
tests_fake_versus_fakeprov_LDADD = tests/libtesthelp.a $(VERSUS_LIBS)
# The random-weight models of the llama.cpp agreement fixtures, as files
# (tests/tools/make-reference.sh; see tests/README.md).
check_PROGRAMS += tests/tools/versus-archgen
tests_tools_versus_archgen_SOURCES = tests/tools/archgen-main.c
tests_soak_versus_maxrss_SOURCES = tests/soak/maxrss.c
tests_soak_versus_maxrss_LDADD =
check-soak: versus tests/soak/versus-soak tests/soak/versus-maxrss
	tests/soak/versus-soak ./versus
.PHONY: check-soak

# The unit-test programs once under valgrind (memcheck): any invalid access,
# uninitialised use or definite leak in any process fails. check-valgrind
# runs every suite (override with VALGRIND_TESTS="tests/test_sse ...");
# check-valgrind-unit the in-process ones below, which `bootstrap check`
# runs: the parsers of what comes from outside (SSE, NDJSON, provider
# decoders, config, GGUF, chat templates and the Jinja engine, sessions,
# fixtures, policies, regexes, the key filter, reasoning tags), core, util,
# the TUI's pure parts and the thread pool. The integration, engine,
# tokenizer and tmux suites run under ASan there instead (valgrind would
# take tens of minutes on them). Valgrind spends about a second of CPU per
# process Criterion starts, so a suite costs ~1.5 CPU-s per test plus 30x
# its own work: keep heavy suites off this list.
VALGRIND_TESTS = $(CRITERION_TESTS)
VALGRIND_UNIT_TESTS = \
	tests/test_core tests/test_util tests/test_config tests/test_sse tests/test_ndjson \
	tests/test_providers tests/test_gguf tests/test_chat_template tests/test_jinja tests/test_jinja_templates \
	tests/test_think_split tests/test_keyfilter tests/test_regexp \
	tests/test_session tests/test_fixture tests/test_policy tests/test_bradley_terry tests/test_report \
	tests/test_tui_layout tests/test_tui_wrap tests/test_tui_statusbar tests/test_tui_theme tests/test_tui_pane \
	tests/test_threadpool tests/test_gpuinfo
check-valgrind: versus $(check_PROGRAMS)
	$(AM_TESTS_ENVIRONMENT) $(SHELL) $(top_srcdir)/tests/soak/run-valgrind.sh \
		$(top_srcdir)/tests/soak/valgrind.supp valgrind-logs $(VALGRIND_TESTS)
check-valgrind-unit: versus $(check_PROGRAMS)
	$(AM_TESTS_ENVIRONMENT) $(SHELL) $(top_srcdir)/tests/soak/run-valgrind.sh \
		$(top_srcdir)/tests/soak/valgrind.supp valgrind-logs $(VALGRIND_UNIT_TESTS)
.PHONY: check-valgrind check-valgrind-unit
EXTRA_DIST += tests/soak/run-valgrind.sh tests/soak/valgrind.supp

# The llama.cpp agreement fixtures and the scripts that make them.
EXTRA_DIST += tests/reference tests/tools/make-reference.sh tests/tools/make_reference.py tests/tools/ref-logits.c

# Wire transcripts (also read by the fake provider), so make dist carries them.
EXTRA_DIST += tests/transcripts

# The whole agreement suite on the portable kernels, the real models
# included (minutes each on two cores; make check runs the random-weight part).
check-portable: tests/test_agreement
	$(AM_TESTS_ENVIRONMENT) VERSUS_NO_SIMD=1 $(abs_top_builddir)/tests/test_agreement --color=never -j2
.PHONY: check-portable
