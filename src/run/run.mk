# run.mk — src/run: one round fanned out to every selected model at once:
# retries, the data perimeter, the event loop's polling.
libversus_a_SOURCES += src/run/run.c src/run/run.h src/run/preflight.c src/run/preflight.h
