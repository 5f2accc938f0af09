# eval.mk — src/eval: evaluation over saved rounds: Bradley-Terry ratings,
# routing policies, replay, reports.
libversus_a_SOURCES += \
	src/eval/bradley_terry.c src/eval/bradley_terry.h \
	src/eval/battles.c src/eval/battles.h \
	src/eval/style.c src/eval/style.h \
	src/eval/costs.c src/eval/costs.h \
	src/eval/policy.c src/eval/policy.h src/eval/policy_check.c \
	src/eval/replay.c src/eval/replay.h \
	src/eval/report.c src/eval/report.h \
	src/eval/report_doc.c src/eval/report_doc.h src/eval/report_render.c
