# tui.mk — src/tui: the workbench (split-pane TUI): pure geometry, wrapping,
# status and theme modules, the readline bridge and the app; its themes and
# prompt library.
libversus_a_SOURCES += \
	src/tui/wrap.c src/tui/wrap.h \
	src/tui/layout.c src/tui/layout.h \
	src/tui/statusbar.c src/tui/statusbar.h \
	src/tui/names.c src/tui/names.h \
	src/tui/theme.c src/tui/theme.h \
	src/tui/pane.c src/tui/pane.h \
	src/tui/replyview.c src/tui/replyview.h \
	src/tui/diff.c src/tui/diff.h \
	src/tui/osc52.c src/tui/osc52.h \
	src/tui/clipboard.c src/tui/clipboard.h \
	src/tui/keymap.c src/tui/keymap.h \
	src/tui/commands.c src/tui/commands.h \
	src/tui/library.c src/tui/library.h \
	src/tui/completion.c src/tui/completion.h \
	src/tui/prompt.c src/tui/prompt.h \
	src/tui/term.c src/tui/term.h \
	src/tui/draw.c src/tui/draw.h src/tui/app_state.h \
	src/tui/round.c src/tui/round.h \
	src/tui/conversation.c src/tui/conversation.h \
	src/tui/overlay.c src/tui/overlay.h \
	src/tui/actions.c src/tui/actions.h \
	src/tui/execute.c src/tui/execute.h \
	src/tui/app.c src/tui/app.h

dist_themes_DATA += themes/default themes/light themes/solarized-dark \
	themes/high-contrast themes/mono

# The prompt library, installed as $(pkgdatadir)/prompts/CATEGORY/NAME.txt
promptsextractiondir = $(pkgdatadir)/prompts/extraction
dist_promptsextraction_DATA = prompts/extraction/invoice-fields.txt \
	prompts/extraction/meeting-actions.txt prompts/extraction/messy-addresses.txt
promptsclassificationdir = $(pkgdatadir)/prompts/classification
dist_promptsclassification_DATA = prompts/classification/support-tickets.txt \
	prompts/classification/review-sentiment.txt prompts/classification/intent-multilabel.txt
promptssummarisationdir = $(pkgdatadir)/prompts/summarisation
dist_promptssummarisation_DATA = prompts/summarisation/incident-report.txt \
	prompts/summarisation/paper-abstract.txt prompts/summarisation/thread-decisions.txt
promptscodedir = $(pkgdatadir)/prompts/code
dist_promptscode_DATA = prompts/code/fix-off-by-one.txt prompts/code/sql-window.txt \
	prompts/code/concurrent-cache.txt
promptsreasoningdir = $(pkgdatadir)/prompts/reasoning
dist_promptsreasoning_DATA = prompts/reasoning/train-schedule.txt prompts/reasoning/logic-grid.txt \
	prompts/reasoning/capacity-planning.txt
promptssensitivedir = $(pkgdatadir)/prompts/sensitive
dist_promptssensitive_DATA = prompts/sensitive/patient-letter.txt prompts/sensitive/hr-complaint.txt \
	prompts/sensitive/credentials-in-logs.txt
EXTRA_DIST += prompts/README.md
