# providers.mk — src/providers: one file per wire format, the provider table,
# model specs resolved into endpoints, and the local engine as a stream source.
libversus_a_SOURCES += \
	src/providers/provider.h src/providers/builtin.h \
	src/providers/providers.c \
	src/providers/target.c src/providers/target.h \
	src/providers/wire.c src/providers/wire.h \
	src/providers/openai_common.c src/providers/openai_common.h \
	src/providers/openai.c src/providers/openai_compat.c \
	src/providers/openai_responses.c src/providers/openai_responses.h \
	src/providers/anthropic.c src/providers/gemini.c src/providers/ollama.c \
	src/providers/local.c src/providers/local.h
