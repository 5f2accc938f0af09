/* test_outfile.c — the one writer of files meant for people and other tools
 * (exports, reports, JUnit, the TUI's :export): private whatever the umask,
 * secrets masked, replaced whole through a temporary file and a rename, and
 * errors that name the path. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/file.h"
#include "store/outfile.h"

static char dir[256];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/versus-test-outfile-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static size_t entries(void)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    static char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

Test(outfile, private_whatever_the_umask_and_replaced_whole, .init = setup, .fini = teardown)
{
    char path[400], err[300];
    snprintf(path, sizeof path, "%s/cases.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("an older, longer file that must not survive in part\n", f);
    fclose(f);
    chmod(path, 0644);
    mode_t old = umask(0);
    int rc = outfile_write(path, "new\n", 4, err, sizeof err);
    umask(old);
    cr_assert_eq(rc, 0, "%s", err);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "mode %03o", (unsigned)(st.st_mode & 0777));
    cr_assert_str_eq(slurp(path), "new\n");
    cr_assert_eq(entries(), 1, "no temporary file is left behind");
}

Test(outfile, secrets_from_the_environment_are_masked, .init = setup, .fini = teardown)
{
    setenv("OPENAI_API_KEY", "sk-live-0123456789abcdef", 1);
    char path[400], err[300];
    snprintf(path, sizeof path, "%s/round.md", dir);
    const char *text = "the reply echoed sk-live-0123456789abcdef back\n";
    cr_assert_eq(outfile_write(path, text, strlen(text), err, sizeof err), 0, "%s", err);
    const char *got = slurp(path);
    cr_assert_null(strstr(got, "sk-live"), "%s", got);
    cr_assert(strstr(got, "echoed ****"), "%s", got);
    unsetenv("OPENAI_API_KEY");
}

Test(outfile, errors_name_the_path_and_devices_are_written_through, .init = setup, .fini = teardown)
{
    char path[400], err[300];
    snprintf(path, sizeof path, "%s/no/such/dir/x.csv", dir);
    cr_assert_eq(outfile_write(path, "x", 1, err, sizeof err), -1);
    cr_assert(strstr(err, path), "%s", err);
    /* -o /dev/null (a device, not a regular file) is written in place */
    cr_assert_eq(outfile_write("/dev/null", "x", 1, err, sizeof err), 0, "%s", err);
    struct stat st;
    cr_assert_eq(stat("/dev/null", &st), 0);
    cr_assert(S_ISCHR(st.st_mode), "/dev/null is still a device");
    /* a directory is refused */
    cr_assert_eq(outfile_write(dir, "x", 1, err, sizeof err), -1);
}
