# tui.mk — build fragment for src/tui (see Makefile.am)
