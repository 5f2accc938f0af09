# core.mk — src/core: the vocabulary every layer above shares: StreamEvent,
# a local model's download/load progress, Request, Reply and its metrics,
# config, keys, prices, GGUF type ids.
libversus_a_SOURCES += \
	src/core/ggml_type.c src/core/ggml_type.h \
	src/core/stream.c src/core/stream.h \
	src/core/progress.c src/core/progress.h \
	src/core/request.c src/core/request.h \
	src/core/reply.c src/core/reply.h \
	src/core/reply_json.c src/core/reply_json.h \
	src/core/config.c src/core/config.h \
	src/core/config_check.c src/core/config_check.h \
	src/core/keys.c src/core/keys.h \
	src/core/keyfilter.c src/core/keyfilter.h \
	src/core/termsafe.c src/core/termsafe.h \
	src/core/prices.c src/core/prices.h
dist_versusdata_DATA += data/prices.json
