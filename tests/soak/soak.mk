# soak.mk — hardening (see Makefile.am): fault-injection, secrets and
# local-engine fault tests against the real binary, the soak/load program,
# and the valgrind pass.
HARDEN_HELPER = tests/harden/vchild.c tests/harden/vchild.h
HARDEN_FAKE = $(HARDEN_HELPER) $(FAKEPROV_SOURCES)

check_PROGRAMS += tests/test_faults
TESTS += tests/test_faults
tests_test_faults_SOURCES = tests/test_faults.c $(HARDEN_FAKE)
tests_test_faults_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_faults_CFLAGS = $(TEST_CFLAGS)
tests_test_faults_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/test_secrets
TESTS += tests/test_secrets
tests_test_secrets_SOURCES = tests/test_secrets.c $(HARDEN_FAKE)
tests_test_secrets_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_secrets_CFLAGS = $(TEST_CFLAGS)
tests_test_secrets_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/test_engine_faults
TESTS += tests/test_engine_faults
tests_test_engine_faults_SOURCES = tests/test_engine_faults.c $(HARDEN_HELPER)
tests_test_engine_faults_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_engine_faults_CFLAGS = $(TEST_CFLAGS)
tests_test_engine_faults_LDADD = $(TEST_LIBS)

# The soak: a quick form in `make check` (tests/test_soak.c), the full one
# (16 x 2,000 tokens/s for a minute, 1,000 rounds) with `make check-soak`.
SOAK_SOURCES = tests/soak/soak_run.c tests/soak/soak_run.h $(HARDEN_FAKE)
check_PROGRAMS += tests/soak/versus-soak tests/soak/versus-maxrss
tests_soak_versus_maxrss_SOURCES = tests/soak/maxrss.c
tests_soak_versus_soak_SOURCES = tests/soak/versus-soak.c $(SOAK_SOURCES)
tests_soak_versus_soak_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_soak_versus_soak_LDADD = $(VERSUS_LIBS)

check-soak: versus tests/soak/versus-soak tests/soak/versus-maxrss
	tests/soak/versus-soak ./versus
.PHONY: check-soak

check_PROGRAMS += tests/test_soak
TESTS += tests/test_soak
tests_test_soak_SOURCES = tests/test_soak.c $(SOAK_SOURCES)
tests_test_soak_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_soak_CFLAGS = $(TEST_CFLAGS)
tests_test_soak_LDADD = $(TEST_LIBS)

# The unit-test programs once under valgrind (memcheck): any invalid access,
# uninitialised use or definite leak in any process fails. Override the list
# with VALGRIND_TESTS="tests/test_sse tests/test_config".
VALGRIND_TESTS = $(TESTS)
check-valgrind: versus $(check_PROGRAMS)
	$(AM_TESTS_ENVIRONMENT) $(SHELL) $(top_srcdir)/tests/soak/run-valgrind.sh \
		$(top_srcdir)/tests/soak/valgrind.supp valgrind-logs $(VALGRIND_TESTS)
.PHONY: check-valgrind
EXTRA_DIST += tests/soak/run-valgrind.sh tests/soak/valgrind.supp
