# util.mk — src/util: the bottom layer (growable buffers, UTF-8, clocks, XDG
# paths, base64, hex digits, medians, growable arrays, whole-file reading, error formatting, HTML/XML escaping,
# did-you-mean suggestions).
# Includes nothing above.
libversus_a_SOURCES += \
	src/util/buf.c src/util/buf.h \
	src/util/utf8.c src/util/utf8.h \
	src/util/clock.c src/util/clock.h \
	src/util/xdg.c src/util/xdg.h \
	src/util/base64.c src/util/base64.h \
	src/util/file.c src/util/file.h \
	src/util/errmsg.c src/util/errmsg.h \
	src/util/markup.c src/util/markup.h \
	src/util/regexp.c src/util/regexp.h \
	src/util/suggest.c src/util/suggest.h \
	src/util/hex.c src/util/hex.h \
	src/util/stats.c src/util/stats.h \
	src/util/grow.c src/util/grow.h
