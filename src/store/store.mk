# store.mk — build fragment for src/store (sessions, fixtures, assertions,
# routing policy, Bradley-Terry, reports) and its subcommands (see Makefile.am).
libversus_a_SOURCES += \
	src/store/jsonio.c src/store/jsonio.h \
	src/store/base64.c src/store/base64.h \
	src/store/redact.c src/store/redact.h \
	src/store/schema_lite.c src/store/schema_lite.h \
	src/store/assertions.c src/store/assertions.h \
	src/store/candidate.c src/store/candidate.h \
	src/store/session.c src/store/session.h \
	src/store/yaml_lite.c src/store/yaml_lite.h \
	src/store/fixture.c src/store/fixture.h \
	src/store/bradley_terry.c src/store/bradley_terry.h \
	src/store/policy.c src/store/policy.h \
	src/store/replay.c src/store/replay.h \
	src/store/report.c src/store/report.h \
	src/cli/sessions.c src/cli/export.c src/cli/policy.c src/cli/replay.c src/cli/report.c

check_PROGRAMS += tests/test_session
TESTS += tests/test_session
tests_test_session_SOURCES = tests/test_session.c
tests_test_session_CFLAGS = $(TEST_CFLAGS)
tests_test_session_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/test_fixture
TESTS += tests/test_fixture
tests_test_fixture_SOURCES = tests/test_fixture.c
tests_test_fixture_CFLAGS = $(TEST_CFLAGS)
tests_test_fixture_LDADD = $(TEST_LIBS)

dist_versusdata_DATA += data/versus-fixture.schema.json

check_PROGRAMS += tests/test_bradley_terry
TESTS += tests/test_bradley_terry
tests_test_bradley_terry_SOURCES = tests/test_bradley_terry.c
tests_test_bradley_terry_CFLAGS = $(TEST_CFLAGS)
tests_test_bradley_terry_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/test_policy
TESTS += tests/test_policy
tests_test_policy_SOURCES = tests/test_policy.c
tests_test_policy_CFLAGS = $(TEST_CFLAGS)
tests_test_policy_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/test_report
TESTS += tests/test_report
tests_test_report_SOURCES = tests/test_report.c
tests_test_report_CFLAGS = $(TEST_CFLAGS)
tests_test_report_LDADD = $(TEST_LIBS)

dist_man_MANS += man/versus-fixtures.5 man/versus-policy.5
