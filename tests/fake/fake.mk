# fake.mk — build fragment for tests/fake (see Makefile.am)
