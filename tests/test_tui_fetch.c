/* test_tui_fetch.c — the real workbench in tmux while a local model is
 * downloaded on first use: the download runs on the engine's worker, so the
 * API pane beside it streams to its end while the local pane says how far
 * the download has got, and nothing is written to the terminal behind
 * curses' back. The download server (tests/dlserver.c) stalls half way until
 * the test lets it go on. Skips without tmux or VERSUS_SHARED. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/file.h"
#include "dlserver.h"
#include "testenv.h"
#include "tui/tmux_driver.h"

#define WAIT_MS 20000

static TmuxRig rig;
static DlServer *dl;

static void stop(void)
{
    rig_stop(&rig);
    dlserver_stop(dl);
    dl = NULL;
}

TestSuite(tui_fetch, .fini = stop, .timeout = TESTENV_HANG_S);

Test(tui_fetch, an_api_pane_streams_to_its_end_while_the_local_pane_shows_its_download)
{
    const char *why = rig_unavailable();
    if (why)
        cr_skip_test("%s", why);
    char path[1024], err[1300], ep[64];
    if (!testenv_shared("models/stories260K.gguf", path, sizeof path))
        cr_skip_test("VERSUS_SHARED not set");
    Buf model = { 0 };
    cr_assert_eq(util_read_file(path, 8u << 20, &model, err, sizeof err), UTIL_FILE_OK, "%s", err);
    dl = dlserver_start(model.data, model.len, DLSERVER_HOLD);
    buf_free(&model);
    cr_assert_not_null(dl);
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", dlserver_port(dl));
    setenv("VERSUS_HF_ENDPOINT", ep, 1); /* the rig's tmux server starts with this environment */

    cr_assert_eq(rig_start(&rig, "-m local:hf://owner/repo/stories260K.gguf -m openai:long.tps100.deltas50"), 0);
    cr_assert(rig_wait(&rig, "F1 help", 1, WAIT_MS), "the workbench started:\n%s", rig.screen);
    rig_keys(&rig, "'Once upon a time' Enter");
    cr_assert(rig_wait(&rig, "downloading stories260K.gguf", 1, WAIT_MS), "the local pane shows its download:\n%s",
              rig.screen);
    /* stalled half way, and the API pane streams to its end regardless */
    cr_assert(rig_wait(&rig, " done ", 1, WAIT_MS), "the API reply finished during the download:\n%s", rig.screen);
    cr_assert(dlserver_holding(dl), "the download is still stalled");
    cr_assert(rig_wait(&rig, " 50% 0.6/1.2 MB", 1, WAIT_MS), "half of the file is there:\n%s", rig.screen);
    cr_assert_eq(rig_count(&rig, "downloading stories260K.gguf"), 1, "still downloading:\n%s", rig.screen);
    dlserver_release(dl);
    cr_assert(rig_wait(&rig, " done ", 2, 60000), "the local model finishes once the file is whole:\n%s",
              rig.screen);
    cr_assert_eq(rig_count(&rig, "downloading"), 0, "no download left on screen:\n%s", rig.screen);
    /* nothing reached the terminal but curses' drawing: standard error stayed empty */
    char errfile[400];
    snprintf(errfile, sizeof errfile, "%s/stderr", rig.dir);
    struct stat st;
    cr_assert_eq(stat(errfile, &st), 0);
    cr_assert_eq(st.st_size, 0, "versus wrote to standard error under curses");
}
