# gpu.mk — build fragment for src/gpu (see Makefile.am): GPU name and memory
# through NVML loaded at run time, and its tests against a fake NVML library
# (tests/fake_nvml.c, built here as a shared object the test dlopens).
libversus_a_SOURCES += src/gpu/gpuinfo.c src/gpu/gpuinfo.h

check_PROGRAMS += tests/test_gpuinfo
TESTS += tests/test_gpuinfo
tests_test_gpuinfo_SOURCES = tests/test_gpuinfo.c
tests_test_gpuinfo_CFLAGS = $(TEST_CFLAGS)
tests_test_gpuinfo_LDADD = $(TEST_LIBS)
EXTRA_tests_test_gpuinfo_DEPENDENCIES = tests/fake_nvml.so

# Plain $(CC) on purpose: no sanitizer flags, so every build type can dlopen it.
tests/fake_nvml.so: $(top_srcdir)/tests/fake_nvml.c
	@$(MKDIR_P) tests
	$(AM_V_CC)$(CC) -std=c11 -D_GNU_SOURCE $(WARN_CFLAGS) -O1 -shared -fPIC -o $@ $(top_srcdir)/tests/fake_nvml.c
CLEANFILES += tests/fake_nvml.so
EXTRA_DIST += tests/fake_nvml.c
