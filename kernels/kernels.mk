# kernels.mk — build fragment for kernels (see Makefile.am)
