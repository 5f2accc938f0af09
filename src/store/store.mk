# store.mk — build fragment for src/store (see Makefile.am)
