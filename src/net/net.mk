# net.mk — src/net: HTTP transfers on one libcurl multi handle, and the SSE
# and NDJSON framings. Knows nothing of providers.
libversus_a_SOURCES += \
	src/net/http.c src/net/http.h \
	src/net/sse.c src/net/sse.h \
	src/net/ndjson.c src/net/ndjson.h
