# providers.mk — build fragment for src/providers (see Makefile.am)
