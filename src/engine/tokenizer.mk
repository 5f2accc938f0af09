# tokenizer.mk — build fragment for src/engine (see Makefile.am): tokenizers,
# pre-tokenizer regexes, Unicode tables, streaming detokenizer, chat templates.
libversus_a_SOURCES += \
	src/engine/unicode_ranges.c src/engine/unicode_ranges.h \
	src/engine/unicode_ranges_data.c \
	src/engine/pretokenize.c src/engine/pretokenize.h \
	src/engine/tokenizer.c src/engine/tokenizer.h src/engine/tokenizer_impl.h \
	src/engine/tokenizer_spm.c src/engine/tokenizer_bpe.c \
	src/engine/token_decoder.c src/engine/token_decoder.h \
	src/engine/chat_template.c src/engine/chat_template.h

# The generator of unicode_ranges_data.c (needs unicodedata2 15.1.0; see its header).
EXTRA_DIST += src/engine/unicode_ranges_gen.py

check_PROGRAMS += tests/test_tokenizer tests/test_chat_template
TESTS += tests/test_tokenizer tests/test_chat_template
tests_test_tokenizer_SOURCES = tests/test_tokenizer.c
tests_test_tokenizer_CFLAGS = $(TEST_CFLAGS)
tests_test_tokenizer_LDADD = $(TEST_LIBS)
tests_test_chat_template_SOURCES = tests/test_chat_template.c
tests_test_chat_template_CFLAGS = $(TEST_CFLAGS)
tests_test_chat_template_LDADD = $(TEST_LIBS)
