/* test_local_cost.c — what a local model costs: an hourly rate stated once in
 * the config (a rented GPU's price, or hardware amortised plus power),
 * divided by the speed versus measures, as $ per 1M input and output tokens;
 * unknown (never $0) until the config says, $0 only when it says "free";
 * malformed settings refused with the key named; and `versus run` showing a
 * local reply's cost marked "estimated from measured speed". */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/file.h"
#include "core/config.h"
#include "core/prices.h"

static char dir[256];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/versus-test-localcost-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* A config file holding json; returns its path. */
static const char *config_with(const char *json)
{
    static char path[400];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(json, f);
    fclose(f);
    chmod(path, 0600);
    return path;
}

static Config *load(const char *json, char *err, size_t errlen)
{
    return config_load(config_with(json), err, errlen);
}

Test(local_cost, hourly_rate_from_a_rented_gpu_or_owned_hardware_and_power, .init = setup, .fini = teardown)
{
    char err[400];
    LocalCost lc;
    Config *c = load("{\"local_cost\": {\"gpu_hour_usd\": 2.49}}", err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(config_local_cost(c, &lc, err, sizeof err), 0);
    cr_assert(lc.set && !lc.free);
    cr_assert_float_eq(lc.hour_usd, 2.49, 1e-12);
    cr_assert(strstr(lc.basis, "2.49"), "%s", lc.basis);
    config_free(c);
    /* $30,000 over 36 months of 730 h, plus 700 W at $0.15/kWh */
    c = load("{\"local_cost\": {\"hardware_usd\": 30000, \"amortisation_months\": 36, \"watts\": 700, "
             "\"kwh_usd\": 0.15}}",
             err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(config_local_cost(c, &lc, err, sizeof err), 0);
    cr_assert_float_eq(lc.hour_usd, 30000.0 / (36 * 730) + 0.7 * 0.15, 1e-12);
    config_free(c);
    /* busy a quarter of the time: each busy hour carries four */
    c = load("{\"local_cost\": {\"gpu_hour_usd\": 2, \"utilisation\": 0.25}}", err, sizeof err);
    cr_assert_eq(config_local_cost(c, &lc, err, sizeof err), 0);
    cr_assert_float_eq(lc.hour_usd, 8, 1e-12);
    config_free(c);
    c = load("{\"local_cost\": {\"free\": true}}", err, sizeof err);
    cr_assert_eq(config_local_cost(c, &lc, err, sizeof err), 0);
    cr_assert(lc.set && lc.free);
    config_free(c);
    c = load("{}", err, sizeof err);
    cr_assert_eq(config_local_cost(c, &lc, err, sizeof err), 0);
    cr_assert_not(lc.set, "nothing said: unknown");
    config_free(c);
}

Test(local_cost, malformed_settings_are_refused_naming_the_key, .init = setup, .fini = teardown)
{
    static const struct { const char *json, *want; } bad[] = {
        { "{\"local_cost\": {\"gpu_hour_usd\": -1}}", "gpu_hour_usd" },
        { "{\"local_cost\": {\"gpu_hour_usd\": \"2.49\"}}", "gpu_hour_usd" },
        { "{\"local_cost\": {\"gpu_hour_usd\": 2, \"hardware_usd\": 9000, \"amortisation_months\": 12}}", "either" },
        { "{\"local_cost\": {\"hardware_usd\": 9000}}", "amortisation_months" },
        { "{\"local_cost\": {\"hardware_usd\": 9000, \"amortisation_months\": 0}}", "amortisation_months" },
        { "{\"local_cost\": {\"hardware_usd\": 9000, \"amortisation_months\": 12, \"watts\": 300}}", "kwh_usd" },
        { "{\"local_cost\": {\"gpu_hour_usd\": 2, \"utilisation\": 1.5}}", "utilisation" },
        { "{\"local_cost\": {\"gpu_hour\": 2}}", "gpu_hour" },
        { "{\"local_cost\": 2.49}", "object" },
        { "{\"local_cost\": {}}", "gpu_hour_usd" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char err[400] = "";
        Config *c = load(bad[i].json, err, sizeof err);
        cr_assert_null(c, "%s must be refused", bad[i].json);
        cr_assert(strstr(err, "local_cost") && strstr(err, bad[i].want), "%s: %s", bad[i].json, err);
    }
}

Test(local_cost, a_local_model_priced_from_gpu_hour_usd_and_a_measured_rate, .init = setup, .fini = teardown)
{
    char err[400];
    Config *c = load("{\"local_cost\": {\"gpu_hour_usd\": 3.6}}", err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    Price p;
    cr_assert(prices_lookup(NULL, c, "local", "local", "smol.gguf", true, &p));
    cr_assert(p.local && !p.free_local);
    Usage u = usage_unknown();
    u.input_tokens = 500;
    u.output_tokens = 200;
    cr_assert(isnan(prices_cost(&p, "local", &u)), "no speed measured yet: unknown, not $0");
    /* measured: 1,000 prompt tokens/s and 50 decode tokens/s.
     * $3.60/h = $0.001/s → $1.00 per 1M input, $20.00 per 1M output */
    cr_assert(prices_local_rate(&p, 1000, 50));
    cr_assert(p.estimated);
    cr_assert_float_eq(p.input, 1.0, 1e-12);
    cr_assert_float_eq(p.output, 20.0, 1e-12);
    cr_assert_float_eq(prices_cost(&p, "local", &u), 500 * 1.0 / 1e6 + 200 * 20.0 / 1e6, 1e-15);
    /* a server on the user's machine (Ollama) is priced the same way */
    Price q;
    cr_assert(prices_lookup(NULL, c, "ollama", "ollama", "llama3", true, &q));
    cr_assert(q.local);
    config_free(c);
    /* without a local_cost the price is unknown, never $0 */
    c = load("{}", err, sizeof err);
    cr_assert_not(prices_lookup(NULL, c, "local", "local", "smol.gguf", true, &p));
    cr_assert(isnan(prices_cost(&p, "local", &u)));
    config_free(c);
    /* $0 only when the user says so */
    c = load("{\"local_cost\": {\"free\": true}}", err, sizeof err);
    cr_assert(prices_lookup(NULL, c, "local", "local", "smol.gguf", true, &p));
    cr_assert(p.free_local);
    cr_assert_float_eq(prices_cost(&p, "local", &u), 0, 0);
    config_free(c);
}

Test(local_cost, versus_run_shows_a_local_cost_estimated_from_measured_speed, .init = setup, .fini = teardown)
{
    const char *model = getenv("VERSUS_DEFAULT_MODEL_FILE");
    const char *bd = getenv("VERSUS_BUILDDIR");
    if (!model || access(model, R_OK) != 0)
        cr_skip_test("no local model file (VERSUS_DEFAULT_MODEL_FILE)");
    if (!bd)
        cr_skip_test("VERSUS_BUILDDIR not set");
    const char *cfg = config_with("{\"local_cost\": {\"gpu_hour_usd\": 2.49}}");
    char cmd[3000], out[400];
    snprintf(out, sizeof out, "%s/out.json", dir);
    snprintf(cmd, sizeof cmd,
             "HOME='%s' XDG_CONFIG_HOME='%s/cfg' XDG_DATA_HOME='%s/data' '%s/versus' run --config '%s' --no-progress "
             "-f json --max-tokens 8 --threads 1 -m 'local:%s' 'Say hi' > '%s' 2>/dev/null",
             dir, dir, dir, bd, cfg, model, out);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "versus run failed (%d)", st);
    Buf b = { 0 };
    char err[300];
    cr_assert_eq(util_read_file(out, 1 << 20, &b, err, sizeof err), 0, "%s", err);
    cJSON *doc = cJSON_Parse(buf_str(&b));
    cr_assert_not_null(doc, "%s", buf_str(&b));
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "results"), 0), "metrics");
    const cJSON *basis = cJSON_GetObjectItem(m, "cost_basis"), *cost = cJSON_GetObjectItem(m, "cost_usd");
    cr_assert(cJSON_IsString(basis) && strcmp(basis->valuestring, "estimated from measured speed") == 0, "%s",
              buf_str(&b));
    cr_assert(cJSON_IsNumber(cost) && cost->valuedouble > 0, "a cost, not $0: %s", buf_str(&b));
    const cJSON *in = cJSON_GetObjectItem(m, "input_usd_per_mtok"), *outp = cJSON_GetObjectItem(m, "output_usd_per_mtok");
    cr_assert(cJSON_IsNumber(in) && cJSON_IsNumber(outp) && outp->valuedouble > 0, "%s", buf_str(&b));
    /* the cost is the reply's tokens at those rates */
    const cJSON *u = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "results"), 0), "usage");
    double want = cJSON_GetObjectItem(u, "input_tokens")->valuedouble * in->valuedouble / 1e6 +
                  cJSON_GetObjectItem(u, "output_tokens")->valuedouble * outp->valuedouble / 1e6;
    cr_assert_float_eq(cost->valuedouble, want, 1e-12 + 1e-9 * want);
    cJSON_Delete(doc);
    buf_free(&b);
    /* the text summary marks it too */
    snprintf(cmd, sizeof cmd,
             "HOME='%s' XDG_CONFIG_HOME='%s/cfg' XDG_DATA_HOME='%s/data' '%s/versus' run --config '%s' --no-progress "
             "--max-tokens 8 --threads 1 -m 'local:%s' 'Say hi' > '%s' 2>&1",
             dir, dir, dir, bd, cfg, model, out);
    st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cr_assert_eq(util_read_file(out, 1 << 20, &b, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(buf_str(&b), "estimated from measured speed"), "%s", buf_str(&b));
    buf_free(&b);
}
