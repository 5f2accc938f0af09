# tokenizer.mk — build fragment for src/engine (see Makefile.am)
