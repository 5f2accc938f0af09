# fake.mk — build fragment for tests/fake (see Makefile.am): the loopback
# fake provider (a test library compiled into the tests that use it), its
# standalone server for manual use and the TUI tests, and its tests.
FAKEPROV_SOURCES = \
	tests/fake/fakeprov.c tests/fake/fakeprov.h \
	tests/fake/fake_scenario.c tests/fake/fake_scenario.h \
	tests/fake/fake_wire.c tests/fake/fake_wire.h

check_PROGRAMS += tests/fake/versus-fakeprov
tests_fake_versus_fakeprov_SOURCES = tests/fake/versus-fakeprov.c $(FAKEPROV_SOURCES)
tests_fake_versus_fakeprov_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_fake_versus_fakeprov_LDADD = $(VERSUS_LIBS)

check_PROGRAMS += tests/test_fakeprov
TESTS += tests/test_fakeprov
tests_test_fakeprov_SOURCES = tests/test_fakeprov.c $(FAKEPROV_SOURCES)
tests_test_fakeprov_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_fakeprov_CFLAGS = $(TEST_CFLAGS)
tests_test_fakeprov_LDADD = $(TEST_LIBS)

# The real binary against the fake (needs `versus` built: it is in bin_PROGRAMS).
check_PROGRAMS += tests/test_integration_run
TESTS += tests/test_integration_run
tests_test_integration_run_SOURCES = tests/test_integration_run.c $(FAKEPROV_SOURCES)
tests_test_integration_run_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_integration_run_CFLAGS = $(TEST_CFLAGS)
tests_test_integration_run_LDADD = $(TEST_LIBS)
