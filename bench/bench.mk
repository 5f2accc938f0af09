# bench.mk — versus bench and its helpers (see Makefile.am)
