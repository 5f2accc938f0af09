# store.mk — build fragment for src/store (sessions, fixtures, assertions,
# routing policy, Bradley-Terry, reports) and its subcommands (see Makefile.am).
libversus_a_SOURCES += \
	src/store/jsonio.c src/store/jsonio.h \
	src/store/base64.c src/store/base64.h \
	src/store/redact.c src/store/redact.h \
	src/store/schema_lite.c src/store/schema_lite.h \
	src/store/assertions.c src/store/assertions.h \
	src/store/candidate.c src/store/candidate.h \
	src/store/session.c src/store/session.h

check_PROGRAMS += tests/test_session
TESTS += tests/test_session
tests_test_session_SOURCES = tests/test_session.c
tests_test_session_CFLAGS = $(TEST_CFLAGS)
tests_test_session_LDADD = $(TEST_LIBS)
