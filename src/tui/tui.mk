# tui.mk — the workbench (split-pane TUI): pure geometry, wrapping, status and
# theme modules, the readline bridge and the app; its themes, prompt library
# and tests (see Makefile.am).
libversus_a_SOURCES += \
	src/tui/wrap.c src/tui/wrap.h \
	src/tui/layout.c src/tui/layout.h \
	src/tui/statusbar.c src/tui/statusbar.h \
	src/tui/theme.c src/tui/theme.h

dist_themes_DATA += themes/default themes/light themes/solarized-dark \
	themes/high-contrast themes/mono

check_PROGRAMS += tests/test_tui_layout tests/test_tui_wrap tests/test_tui_statusbar tests/test_tui_theme
TESTS += tests/test_tui_layout tests/test_tui_wrap tests/test_tui_statusbar tests/test_tui_theme
tests_test_tui_layout_SOURCES = tests/test_tui_layout.c
tests_test_tui_layout_CFLAGS = $(TEST_CFLAGS)
tests_test_tui_layout_LDADD = $(TEST_LIBS)
tests_test_tui_wrap_SOURCES = tests/test_tui_wrap.c
tests_test_tui_wrap_CFLAGS = $(TEST_CFLAGS)
tests_test_tui_wrap_LDADD = $(TEST_LIBS)
tests_test_tui_statusbar_SOURCES = tests/test_tui_statusbar.c
tests_test_tui_statusbar_CFLAGS = $(TEST_CFLAGS)
tests_test_tui_statusbar_LDADD = $(TEST_LIBS)
tests_test_tui_theme_SOURCES = tests/test_tui_theme.c
tests_test_tui_theme_CFLAGS = $(TEST_CFLAGS)
tests_test_tui_theme_LDADD = $(TEST_LIBS)
