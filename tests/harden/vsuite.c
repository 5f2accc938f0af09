/* vsuite.c — a suite's sandbox for the versus binary (see vsuite.h). */
#include "harden/vsuite.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harden/vchild.h"
#include "testenv.h"

void vsuite_home(const char *name, char *bin, size_t binlen, char *home, size_t homelen)
{
    if (!vchild_binary(bin, binlen))
        cr_skip_test("no versus binary (VERSUS_BUILDDIR not set or not built)");
    int n = snprintf(home, homelen, "/tmp/versus-%s-XXXXXX", name);
    cr_assert(n > 0 && (size_t)n < homelen, "home name too long: %s", name);
    cr_assert(mkdtemp(home), "mkdtemp: %s", strerror(errno));
}

FakeProv *vsuite_fake(const FakeProvOptions *opt)
{
    char err[256];
    FakeProv *fp = fakeprov_start(opt, err, sizeof err);
    cr_assert(fp, "fakeprov: %s", err);
    return fp;
}

void vsuite_config_dir(const char *home)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/config", home);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/config/versus", home);
    mkdir(dir, 0700);
}

void vsuite_session_id(const char *home, char *id, size_t n)
{
    char path[1024];
    cr_assert(testenv_session_file(home, path, sizeof path), "no session was saved under %s", home);
    const char *base = strrchr(path, '/') + 1;
    snprintf(id, n, "%.*s", (int)(strlen(base) - 5), base);
}

void vsuite_end(FakeProv **fp, char ***env, const char *home)
{
    if (fp) {
        fakeprov_stop(*fp);
        *fp = NULL;
    }
    if (env) {
        vchild_env_free(*env);
        *env = NULL;
    }
    vchild_rm_tree(home);
}
