# download.mk — build fragment for model downloads and model resolution (see Makefile.am)
libversus_a_SOURCES += src/engine/model_ref.c
