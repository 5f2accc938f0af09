# download.mk — build fragment for model downloads and model resolution (see Makefile.am)
libversus_a_SOURCES += src/engine/model_ref.c src/engine/model_ref.h
libversus_a_SOURCES += \
	src/engine/sha256.c src/engine/sha256.h \
	src/engine/download.c src/engine/download.h

check_PROGRAMS += tests/test_download
TESTS += tests/test_download
tests_test_download_SOURCES = tests/test_download.c tests/dlserver.c tests/dlserver.h
tests_test_download_CFLAGS = $(TEST_CFLAGS)
tests_test_download_LDADD = $(TEST_LIBS)
