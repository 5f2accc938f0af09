# core.mk — the core (buffers, events, replies, config, run fan-out), the HTTP
# layer, and the command-line subcommands.
libversus_a_SOURCES += \
	src/core/buf.c src/core/buf.h \
	src/core/clock.c src/core/clock.h \
	src/core/stream.c src/core/stream.h \
	src/core/request.c src/core/request.h \
	src/core/reply.c src/core/reply.h \
	src/core/xdg.c src/core/xdg.h \
	src/core/utf8.c src/core/utf8.h \
	src/core/config.c src/core/config.h \
	src/core/keys.c src/core/keys.h \
	src/core/prices.c src/core/prices.h \
	src/core/reply_json.c src/core/reply_json.h \
	src/core/run.c src/core/run.h \
	src/net/http.c src/net/http.h \
	src/engine/gguf.h \
	src/providers/provider.h src/providers/local.h

check_PROGRAMS += tests/test_core
TESTS += tests/test_core
tests_test_core_SOURCES = tests/test_core.c
tests_test_core_CFLAGS = $(TEST_CFLAGS)
tests_test_core_LDADD = $(TEST_LIBS)

libversus_a_SOURCES += \
	src/cli/cli.c src/cli/cli.h \
	src/cli/run.c \
	src/cli/models.c \
	src/cli/logits.c \
	src/cli/options.c src/cli/options.h \
	src/cli/outfile.c src/cli/outfile.h \
	src/cli/tui.c

dist_versusdata_DATA += data/prices.json

check_PROGRAMS += tests/test_config
TESTS += tests/test_config
tests_test_config_SOURCES = tests/test_config.c
tests_test_config_CFLAGS = $(TEST_CFLAGS)
tests_test_config_LDADD = $(TEST_LIBS)
dist_man_MANS += man/versus.1

check_PROGRAMS += tests/test_ci_flow
TESTS += tests/test_ci_flow
tests_test_ci_flow_SOURCES = tests/test_ci_flow.c $(HARDEN_FAKE)
tests_test_ci_flow_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_ci_flow_CFLAGS = $(TEST_CFLAGS)
tests_test_ci_flow_LDADD = $(TEST_LIBS)
