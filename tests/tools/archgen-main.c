/* archgen-main.c — versus-archgen: writes one of tests/archgen.h's random
 * models to a file, so that tests/tools/make-reference.sh can hand exactly the
 * bytes the agreement test rebuilds to llama.cpp.
 *
 * usage: versus-archgen SPEC TYPE SEED -o FILE     (TYPE: q8_0, q4_0, q4_k, q6_k, ...)
 *        versus-archgen --list                      (the spec names, one a line) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "archgen.h"
#include "engine/quant.h"

static int parse_type(const char *s, GgmlType *t)
{
    for (int i = 0; i < 64; i++)
        if (quant_type_supported((GgmlType)i) && strcasecmp(quant_type_name((GgmlType)i), s) == 0) {
            *t = (GgmlType)i;
            return 0;
        }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (const ArchGenSpec *s = archgen_specs; s->name; s++)
            printf("%s\n", s->name);
        return 0;
    }
    if (argc != 6 || strcmp(argv[4], "-o") != 0) {
        fprintf(stderr, "usage: versus-archgen SPEC TYPE SEED -o FILE | --list\n");
        return 2;
    }
    const ArchGenSpec *spec = archgen_find(argv[1]);
    GgmlType t;
    char *end;
    unsigned long long seed = strtoull(argv[3], &end, 10);
    if (!spec || parse_type(argv[2], &t) < 0 || *end || end == argv[3]) {
        fprintf(stderr, "versus-archgen: unknown spec '%s', type '%s' or seed '%s'\n", argv[1], argv[2], argv[3]);
        return 2;
    }
    void *data;
    size_t size;
    char err[256];
    if (archgen_build(spec, t, seed, &data, &size, err, sizeof err) < 0) {
        fprintf(stderr, "versus-archgen: %s\n", err);
        return 1;
    }
    FILE *f = fopen(argv[5], "wb");
    int ok = f && fwrite(data, 1, size, f) == size;
    if (f && fclose(f) != 0)
        ok = 0;
    free(data);
    if (!ok) {
        fprintf(stderr, "versus-archgen: cannot write %s\n", argv[5]);
        return 1;
    }
    return 0;
}
