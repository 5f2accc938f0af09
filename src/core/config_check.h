/* config_check.h — what config.json may hold: every key of every section,
 * and the shape of each value.
 *
 * config_load (config.c) runs config_check over the parsed file before it
 * answers any question about it, so a misspelt key ("defualts",
 * "temprature", "kye_env") is an error naming the key, the likely intended
 * one and the valid ones, never a setting silently left at its default (a
 * typo must not undo "sensitivity": "restricted"). Not for answering
 * questions about the config (config.c) or turning specs into endpoints
 * (providers/target.c). */
#ifndef VERSUS_CONFIG_CHECK_H
#define VERSUS_CONFIG_CHECK_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* The sections whose keys are fixed, by the path config_check names them
 * with: "" (the top level), "defaults", "providers.NAME", "local",
 * "prices.MODEL", "local_cost". (models and reasoning map names the user
 * chooses.) */
typedef enum ConfigSection {
    CONFIG_SECTION_TOP,
    CONFIG_SECTION_DEFAULTS,
    CONFIG_SECTION_PROVIDER,
    CONFIG_SECTION_LOCAL,
    CONFIG_SECTION_PRICE,
    CONFIG_SECTION_LOCAL_COST,
    CONFIG_SECTION_COUNT
} ConfigSection;

/* The keys valid in a section, NULL-terminated (static; for the checker,
 * messages and the test that the manual lists them all). */
const char *const *config_check_keys(ConfigSection s);

/* 0 when root (a parsed config.json object) holds only known keys with
 * values of the right shape; -1 with err ("defaults.temprature is not a
 * setting (did you mean temperature?); defaults holds: ...") otherwise.
 * local_cost's values are left to config_local_cost (its keys are checked
 * here too). */
int config_check(const cJSON *root, char *err, size_t errlen);

#endif
