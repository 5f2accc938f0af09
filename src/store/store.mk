# store.mk — src/store: persistence: sessions, fixtures and their files,
# candidates, assertions, the small JSON/YAML/schema helpers.
libversus_a_SOURCES += \
	src/store/jsonio.c src/store/jsonio.h \
	src/store/outfile.c src/store/outfile.h \
	src/store/schema_lite.c src/store/schema_lite.h \
	src/store/assertions.c src/store/assertions.h \
	src/store/candidate.c src/store/candidate.h \
	src/store/session.c src/store/session.h \
	src/store/yaml_lite.c src/store/yaml_lite.h \
	src/store/fixture.c src/store/fixture.h src/store/fixture_formats.h \
	src/store/fixture_promptfoo.c src/store/fixture_evals.c src/store/fixture_csv.c \
	src/store/regex_js.c src/store/regex_js.h
dist_versusdata_DATA += data/versus-fixture.schema.json
