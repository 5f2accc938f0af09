/* test_tui_statusbar.c — status-line formatting: numbers, "$?" for unknown
 * cost, sparkline, fitting into narrow widths, and the footer totals. */
#include <criterion/criterion.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "tui/names.h"
#include "tui/statusbar.h"
#include "tui/wrap.h"

static void utf8_locale(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "C.utf8"))
        cr_skip_test("no UTF-8 locale available");
}

TestSuite(statusbar, .init = utf8_locale);

Test(statusbar, durations_use_ms_then_seconds_then_minutes)
{
    char b[32];
    statusbar_fmt_duration(412.4, b, sizeof b);
    cr_assert_str_eq(b, "412ms");
    statusbar_fmt_duration(3210, b, sizeof b);
    cr_assert_str_eq(b, "3.2s");
    statusbar_fmt_duration(125000, b, sizeof b);
    cr_assert_str_eq(b, "2m05s");
    statusbar_fmt_duration(-1, b, sizeof b);
    cr_assert_str_eq(b, "-");
}

Test(statusbar, unknown_cost_is_a_question_mark_never_zero)
{
    char b[32];
    statusbar_fmt_cost(NAN, b, sizeof b);
    cr_assert_str_eq(b, "$?");
    statusbar_fmt_cost(0.0, b, sizeof b);
    cr_assert_str_eq(b, "$0.00");
    statusbar_fmt_cost(0.00123, b, sizeof b);
    cr_assert_str_eq(b, "$0.0012");
    statusbar_fmt_cost(0.0000076, b, sizeof b);
    cr_assert_str_eq(b, "<$0.0001", "a known cost is never shown as zero");
    statusbar_fmt_cost(0.25, b, sizeof b);
    cr_assert_str_eq(b, "$0.250");
    statusbar_fmt_cost(12.345, b, sizeof b);
    cr_assert_str_eq(b, "$12.35");
    statusbar_fmt_total(0.0, 2, b, sizeof b);
    cr_assert_str_eq(b, "$?");
    statusbar_fmt_total(0.5, 1, b, sizeof b);
    cr_assert_str_eq(b, "$0.500+?");
}

Test(statusbar, vram_reports_no_gpu_and_unknown_distinctly)
{
    char b[64];
    statusbar_fmt_vram(false, -1, -1, b, sizeof b);
    cr_assert_str_eq(b, "no GPU");
    statusbar_fmt_vram(true, -1, 81920, b, sizeof b);
    cr_assert_str_eq(b, "VRAM n/a");
    statusbar_fmt_vram(true, 1536, 81920, b, sizeof b);
    cr_assert_str_eq(b, "VRAM 1.5/80.0 GiB");
}

Test(statusbar, sparkline_scales_to_the_largest_recent_sample)
{
    double v[] = { 0, 10, 20, 40, 80 };
    char b[64];
    statusbar_sparkline(v, 5, 12, b, sizeof b);
    cr_assert_str_eq(b, "\u2581\u2582\u2583\u2585\u2588");
    statusbar_sparkline(v, 5, 2, b, sizeof b);
    cr_assert_str_eq(b, "\u2585\u2588", "only the last `cols` samples");
    statusbar_sparkline(NULL, 0, 12, b, sizeof b);
    cr_assert_str_eq(b, "");
}

Test(statusbar, full_line_shows_every_field_when_wide)
{
    StatusInfo si = statusbar_info_init();
    si.name = "gpt-4o-mini";
    si.state = "streaming";
    si.ttft_ms = 412;
    si.out_tokens = 123;
    si.tps = 45.2;
    si.elapsed_ms = 3200;
    si.cost_usd = 0.0012;
    char b[512];
    int cols = statusbar_format(&si, 200, b, sizeof b);
    cr_assert_str_eq(b, " gpt-4o-mini  streaming  3.2s");
    cr_assert_eq(cols, wrap_str_cols(b, strlen(b)));
    cols = statusbar_format_metrics(&si, 200, b, sizeof b);
    cr_assert_str_eq(b, " TTFT 412ms  45.2 tok/s  123 tok  $0.0012");
    cr_assert_eq(cols, wrap_str_cols(b, strlen(b)));
}

Test(statusbar, a_reasoning_reply_shows_time_to_first_answer_and_its_reasoning_tokens)
{
    StatusInfo si = statusbar_info_init();
    si.name = "openai:o4-mini";
    si.state = "done";
    si.ttft_ms = 412;
    si.ttfa_ms = 6100;
    si.out_tokens = 342;
    si.reasoning_tokens = 320;
    si.elapsed_ms = 7000;
    si.cost_usd = 0.0015;
    char b[512];
    statusbar_format_metrics(&si, 200, b, sizeof b);
    cr_assert_str_eq(b, " TTFT 412ms  - tok/s  342 tok  $0.0015  TTFA 6.1s  320 think");
    /* the same first token for both: said once */
    si.ttfa_ms = 412;
    si.reasoning_tokens = 0;
    statusbar_format_metrics(&si, 200, b, sizeof b);
    cr_assert_str_eq(b, " TTFT 412ms  - tok/s  342 tok  $0.0015");
    /* narrow: the four figures stay, TTFA and reasoning tokens go first */
    si.ttfa_ms = 6100;
    si.reasoning_tokens = 320;
    si.tps = 40;
    for (int w = 30; w <= 120; w++) {
        statusbar_format_metrics(&si, w, b, sizeof b);
        cr_assert(strstr(b, "412ms") && strstr(b, "40.0") && strstr(b, "342") && strstr(b, "$0.0015"),
                  "width %d: '%s'", w, b);
        if (strstr(b, "think"))
            cr_assert(strstr(b, "TTFA"), "width %d: '%s'", w, b);
    }
}

Test(statusbar, local_pane_adds_vram_backend_and_sparkline)
{
    double v[] = { 5, 10 };
    StatusInfo si = statusbar_info_init();
    si.name = "smollm2";
    si.state = "done";
    si.cost_usd = 0;
    si.local = true;
    si.has_gpu = false;
    si.backend = "cpu";
    si.spark = v;
    si.n_spark = 2;
    char b[512];
    statusbar_format(&si, 200, b, sizeof b);
    cr_assert_str_eq(b, " smollm2  done  \u2585\u2588");
    statusbar_format_metrics(&si, 200, b, sizeof b);
    cr_assert_str_eq(b, " TTFT -  - tok/s  - tok  $0.00  no GPU  cpu");
}

/* The metrics row keeps all four figures, in order, at every width a pane
 * has at 80 columns with up to 4 panes (39 and up), and never overflows. */
Test(statusbar, metrics_row_keeps_ttft_rate_tokens_and_cost_at_every_width)
{
    StatusInfo si = statusbar_info_init();
    si.name = "anthropic:claude-sonnet-4-5-20250929";
    si.state = "streaming";
    si.ttft_ms = 12345;
    si.out_tokens = 12345;
    si.tps = 123.4;
    si.elapsed_ms = 3200;
    si.cost_usd = NAN;
    for (int w = 1; w <= 120; w++) {
        char b[512];
        int cols = statusbar_format_metrics(&si, w, b, sizeof b);
        cr_assert_leq(cols, w, "width %d gave %d cols: '%s'", w, cols, b);
        cr_assert_eq(cols, wrap_str_cols(b, strlen(b)));
        if (w >= 30) {
            const char *t = strstr(b, "12.3s"), *r = strstr(b, "123"), *n = strstr(b, "12345"),
                       *c = strstr(b, "unpriced");
            cr_assert(t && r && n && c && t < r && n < c, "all four, in order, at width %d: '%s'", w, b);
        }
    }
    si.cost_usd = 0.0012;
    si.hide_cost = true;
    char b[512];
    statusbar_format_metrics(&si, 60, b, sizeof b);
    cr_assert(strstr(b, "cost hidden") && !strstr(b, "$0"), "blind: '%s'", b);
    si = statusbar_info_init();
    si.not_sent = true;
    si.elapsed_ms = 916000;
    si.cost_usd = NAN;
    statusbar_format_metrics(&si, 60, b, sizeof b);
    cr_assert_str_eq(b, " not sent");
    si.name = "x";
    si.state = "not sent";
    statusbar_format(&si, 60, b, sizeof b);
    cr_assert_str_eq(b, " x  not sent", "never a duration for a model that was not asked");
}

Test(statusbar, narrow_widths_drop_fields_by_importance_and_never_overflow)
{
    StatusInfo si = statusbar_info_init();
    si.name = "anthropic:claude-sonnet-4-5-20250929";
    si.state = "streaming";
    si.elapsed_ms = 3200;
    si.badge = "winner";
    for (int w = 1; w <= 120; w++) {
        char b[512];
        int cols = statusbar_format(&si, w, b, sizeof b);
        cr_assert_leq(cols, w, "width %d gave %d cols: '%s'", w, cols, b);
        cr_assert_eq(cols, wrap_str_cols(b, strlen(b)));
        if (w >= 30)
            cr_assert(strstr(b, "streaming"), "state kept at width %d: '%s'", w, b);
        if (strstr(b, "3.2s"))
            cr_assert(strstr(b, "[winner]"), "the elapsed time never outlives the badge");
    }
    char b[512];
    statusbar_format(&si, 30, b, sizeof b);
    cr_assert(strstr(b, "\u2026"), "a long name is shortened with an ellipsis: '%s'", b);
}

Test(statusbar, truncate_counts_wide_characters)
{
    char b[64];
    statusbar_truncate("日本語モデル", 7, b, sizeof b);
    cr_assert_str_eq(b, "日本語\u2026");
    statusbar_truncate("short", 7, b, sizeof b);
    cr_assert_str_eq(b, "short");
}

Test(statusbar, footer_sums_costs_and_keeps_the_total_when_narrow)
{
    FooterEntry e[] = { { "openai:gpt-4o-mini", 0.0123, 0, false }, { "local:smollm2", 0.0, 0, false },
                        { "anthropic:claude-haiku", 0.5, 1, false } };
    char b[512];
    statusbar_format_footer(e, 3, 200, b, sizeof b);
    cr_assert_str_eq(b, " session: openai:gpt-4o-mini $0.012 \u00b7 local:smollm2 $0.00 \u00b7 "
                        "anthropic:claude-haiku $0.500+? \u00b7 total $0.512+?");
    for (int w = 1; w < 120; w++) {
        int cols = statusbar_format_footer(e, 3, w, b, sizeof b);
        cr_assert_leq(cols, w);
        cr_assert_eq(cols, wrap_str_cols(b, strlen(b)));
        if (w >= 30)
            cr_assert(strstr(b, "total $0.512+?"), "total kept at width %d: '%s'", w, b);
    }
}

/* A local model's cost is an estimate from its measured speed: the footer
 * marks its entry and any total that includes it with "~", as the panes do. */
Test(statusbar, footer_marks_estimated_local_costs_and_the_total_they_enter)
{
    FooterEntry e[] = { { "openai:gpt-4o-mini", 0.0123, 0, false }, { "local:smollm2", 0.0004, 0, true } };
    char b[512];
    statusbar_format_footer(e, 2, 200, b, sizeof b);
    cr_assert_str_eq(b, " session: openai:gpt-4o-mini $0.012 \u00b7 local:smollm2 ~$0.0004 \u00b7 total ~$0.013");
    for (int w = 1; w < 90; w++) {
        int cols = statusbar_format_footer(e, 2, w, b, sizeof b);
        cr_assert_leq(cols, w);
        cr_assert_eq(cols, wrap_str_cols(b, strlen(b)));
        if (w >= 30)
            cr_assert(strstr(b, "total ~$0.013"), "the total keeps its mark at width %d: '%s'", w, b);
    }
    /* with no estimate in it, the total is unmarked */
    statusbar_format_footer(e, 1, 200, b, sizeof b);
    cr_assert_str_eq(b, " session: openai:gpt-4o-mini $0.012 \u00b7 total $0.012");
}

/* Tryout 2 #28: the round settings that persist had no lasting sign. */
Test(statusbar, settings_that_persist_are_one_compact_phrase)
{
    char b[256];
    statusbar_format_settings("restricted", true, "max_tokens=60", true, b, sizeof b);
    cr_assert_str_eq(b, "restricted \u00b7 system \u00b7 max_tokens=60 \u00b7 blind");
    statusbar_format_settings(NULL, false, NULL, false, b, sizeof b);
    cr_assert_str_eq(b, "", "the defaults say nothing");
    statusbar_format_settings("internal", false, "", false, b, sizeof b);
    cr_assert_str_eq(b, "internal");
}

Test(statusbar, the_idle_footer_keeps_its_state_whole_and_fits_the_totals_after_it)
{
    FooterEntry e[] = { { "openai:gpt-4o-mini", 0.0123, 0, false }, { "local:smollm2", 0.0, 1, false } };
    char b[512];
    statusbar_format_idle("restricted \u00b7 blind", e, 2, 200, b, sizeof b);
    cr_assert_str_eq(b, " restricted \u00b7 blind \u00b7 session: openai:gpt-4o-mini $0.012 \u00b7 local:smollm2 $? "
                        "\u00b7 total $0.012+?");
    statusbar_format_idle("", e, 2, 200, b, sizeof b);
    char f[512];
    statusbar_format_footer(e, 2, 200, f, sizeof f);
    cr_assert_str_eq(b, f, "no state: the footer as it was");
    for (int w = 1; w < 120; w++) {
        int cols = statusbar_format_idle("restricted \u00b7 blind", e, 2, w, b, sizeof b);
        cr_assert_leq(cols, w);
        cr_assert_eq(cols, wrap_str_cols(b, strlen(b)));
        if (w >= 60)
            cr_assert(strstr(b, "restricted \u00b7 blind") && strstr(b, "total $0.012+?"),
                      "state and total kept at width %d: '%s'", w, b);
    }
}

Test(names, short_unique_names_from_the_spec_or_the_user)
{
    char name[NAMES_MAX], spec[256];
    names_split("fast=openai:gpt-4o-mini", name, sizeof name, spec, sizeof spec);
    cr_assert_str_eq(name, "fast");
    cr_assert_str_eq(spec, "openai:gpt-4o-mini");
    names_split("openai-compat:m@http://h:1/v1?a=b", name, sizeof name, spec, sizeof spec);
    cr_assert_str_eq(name, "", "an '=' inside the spec names nothing");
    cr_assert_str_eq(spec, "openai-compat:m@http://h:1/v1?a=b");

    const char *specs[] = { "openai:gpt-4o-mini", "openai-compat:gpt-4o-mini@http://10.0.0.2:8080/v1",
                            "openai-compat:llama3@http://10.0.0.2:8080/v1", "openai-compat:llama3@http://10.0.0.3:8080/v1",
                            "local:/models/SmolLM2-135M.Q4_1.gguf", "local:", "openai:o3", "openai:o3" };
    const char *given[] = { NULL, NULL, NULL, NULL, NULL, NULL, "", NULL };
    char out[8][NAMES_MAX];
    names_choose(specs, given, 8, out);
    cr_assert_str_eq(out[0], "openai:gpt-4o-mini");
    cr_assert_str_eq(out[1], "openai-compat:gpt-4o-mini");
    cr_assert_str_eq(out[2], "llama3@10.0.0.2:8080");
    cr_assert_str_eq(out[3], "llama3@10.0.0.3:8080");
    cr_assert_str_eq(out[4], "SmolLM2-135M.Q4_1");
    cr_assert_str_eq(out[5], "local");
    cr_assert_str_eq(out[6], "openai:o3");
    cr_assert_str_eq(out[7], "openai:o3 #2");
    const char *g2[] = { "fast", NULL };
    const char *s2[] = { "openai:gpt-4o-mini", "anthropic:claude-haiku" };
    names_choose(s2, g2, 2, out);
    cr_assert_str_eq(out[0], "fast");
    cr_assert_str_eq(out[1], "claude-haiku");
}
