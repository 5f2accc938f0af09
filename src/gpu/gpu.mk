# gpu.mk — build fragment for src/gpu (see Makefile.am)
