/* yaml_lite.h — reads the block-YAML subset that `versus export --format
 * promptfoo` writes, into a cJSON tree.
 *
 * Supported: block sequences ("- item"), block mappings ("key: value"),
 * nesting by indentation (spaces only), '#' comment lines, and scalars that
 * are JSON (double-quoted strings, numbers, true/false/null, flow [..] {..})
 * or plain words (read as strings). Not supported: anchors, tags, multi-line
 * plain or block scalars (| >), single-quoted strings, multiple documents. */
#ifndef VERSUS_YAML_LITE_H
#define VERSUS_YAML_LITE_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* The document as JSON; NULL with err (naming the line) on anything outside
 * the subset. */
cJSON *yaml_lite_parse(const char *text, size_t len, char *err, size_t errlen);

#endif
