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
