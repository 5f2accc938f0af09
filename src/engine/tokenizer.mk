# tokenizer.mk — build fragment for src/engine (see Makefile.am): tokenizers,
# pre-tokenizer regexes, Unicode tables, streaming detokenizer, chat templates.
libversus_a_SOURCES += \
	src/engine/unicode_ranges.c src/engine/unicode_ranges.h \
	src/engine/unicode_ranges_data.c \
	src/engine/pretokenize.c src/engine/pretokenize.h \
	src/engine/tokenizer.c src/engine/tokenizer.h src/engine/tokenizer_impl.h \
	src/engine/tokenizer_spm.c src/engine/tokenizer_bpe.c \
	src/engine/token_decoder.c src/engine/token_decoder.h \
	src/engine/chat_template.c src/engine/chat_template.h \
	src/engine/jinja.h src/engine/jinja_impl.h src/engine/jinja_arena.c \
	src/engine/jinja_lex.c src/engine/jinja_parse.c src/engine/jinja_eval.c \
	src/engine/jinja_value.c src/engine/jinja_builtins.c

# The generator of unicode_ranges_data.c (needs unicodedata2 15.1.0; see its header).
EXTRA_DIST += src/engine/unicode_ranges_gen.py

check_PROGRAMS += tests/test_tokenizer tests/test_chat_template
TESTS += tests/test_tokenizer tests/test_chat_template
tests_test_tokenizer_SOURCES = tests/test_tokenizer.c
tests_test_tokenizer_CFLAGS = $(TEST_CFLAGS)
tests_test_tokenizer_LDADD = $(TEST_LIBS)
tests_test_chat_template_SOURCES = tests/test_chat_template.c
check_PROGRAMS += tests/test_jinja_templates tests/test_jinja
TESTS += tests/test_jinja_templates tests/test_jinja
tests_test_jinja_SOURCES = tests/test_jinja.c
tests_test_jinja_CFLAGS = $(TEST_CFLAGS)
tests_test_jinja_LDADD = $(TEST_LIBS)
tests_test_jinja_templates_SOURCES = tests/test_jinja_templates.c
tests_test_jinja_templates_CFLAGS = $(TEST_CFLAGS)
tests_test_jinja_templates_LDADD = $(TEST_LIBS)
tests_test_chat_template_CFLAGS = $(TEST_CFLAGS)
tests_test_chat_template_LDADD = $(TEST_LIBS)

# Real chat templates, the conversations they are rendered with, and what
# Python's Jinja2 renders (tests/tools/chat_template_reference.py makes it).
EXTRA_DIST += tests/data/chat_templates tests/tools/chat_template_reference.py
