/* fuzz_config.c — libFuzzer target: config.json from arbitrary bytes, then
 * resolving model specs and reading defaults from whatever loaded. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "providers/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/versus-fuzz-config-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    fchmod(fd, 0600);
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    char err[512];
    Config *cfg = config_load(path, err, sizeof err);
    unlink(path);
    if (!cfg)
        return 0;
    static const char *const specs[] = { "openai:gpt-4o", "lab:x", "fast", "local:", "openai-compat:m@http://127.0.0.1:1/v1",
                                         "ollama:llama3", "anthropic:", "x" };
    ModelTarget t;
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        target_resolve(cfg, specs[i], &t, err, sizeof err);
    config_default_params(cfg);
    config_default_sensitivity(cfg);
    char **list;
    size_t n = config_default_specs(cfg, &list);
    config_free_specs(list, n);
    double a, b, c;
    config_price_override(cfg, "openai", "gpt-4o", &a, &b, &c);
    config_free(cfg);
    return 0;
}
