# engine.mk — build fragment for src/engine (see Makefile.am)
# src/providers/local.c starts as the lead's "not built yet" placeholder; the
# engine engineer replaces the file's contents (keep this line, add the rest below).
libversus_a_SOURCES += src/providers/local.c
