# cli.mk — src/cli: one file per subcommand, plus shared option parsing.
libversus_a_SOURCES += \
	src/cli/cli.c src/cli/cli.h \
	src/cli/options.c src/cli/options.h \
	src/cli/print.c src/cli/print.h \
	src/cli/run.c src/cli/models.c src/cli/tui.c src/cli/bench.c src/cli/logits.c \
	src/cli/sessions.c src/cli/export.c src/cli/policy.c src/cli/replay.c src/cli/report.c
