# download.mk — build fragment for model downloads and model resolution (see Makefile.am)
