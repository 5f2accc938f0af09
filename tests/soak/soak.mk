# soak.mk — load/soak tests and the valgrind pass (see Makefile.am)
