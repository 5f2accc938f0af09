/* test_gpuinfo.c — GPU discovery without a GPU: NVML through a fake library
 * (versioned v2 memory struct, v1 fallback, process memory, no device, a
 * driver that does not start), "no GPU" as an explicit state that never
 * reads as zero memory, the CUDA backend's answers on a machine or build
 * without CUDA, and its memory plan on stories260K. Never launches a kernel
 * (tests/gpu/test_cuda does, where a GPU exists). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend_cuda.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "gpu/gpuinfo.h"
#include "testenv.h"

static char *fake_lib(void)
{
    const char *b = getenv("VERSUS_BUILDDIR");
    if (!b || !*b)
        return NULL;
    size_t n = strlen(b) + 32;
    char *p = malloc(n);
    snprintf(p, n, "%s/tests/fake_nvml.so", b);
    return p;
}

static GpuInfo fake_query(const char *mode)
{
    char *lib = fake_lib();
    if (!lib)
        cr_skip_test("VERSUS_BUILDDIR not set (run through make check)");
    setenv("FAKE_NVML", mode, 1);
    GpuInfo g = gpuinfo_query_nvml(lib, 0);
    free(lib);
    return g;
}

static void assert_no_gpu(const GpuInfo *g)
{
    char line[256];
    cr_assert(!g->present);
    cr_assert_eq(g->total_mib, -1.0);
    cr_assert_eq(g->used_mib, -1.0);
    cr_assert_eq(g->process_mib, -1.0);
    cr_assert_neq(g->why[0], '\0', "no GPU must say why");
    gpuinfo_format(g, line, sizeof line);
    cr_assert(strncmp(line, "no GPU (", 8) == 0, "%s", line);
    cr_assert_null(strstr(line, "0 MiB"), "%s", line);
}

Test(gpuinfo, missing_nvml_is_no_gpu_never_zero)
{
    GpuInfo g = gpuinfo_query_nvml("/nonexistent/libnvidia-ml.so.1", 0);
    assert_no_gpu(&g);
    cr_assert(strstr(g.why, "not found"), "%s", g.why);
    cr_assert_str_eq(g.source, "none");
}

Test(gpuinfo, this_machine_reports_no_gpu_or_real_figures)
{
    GpuInfo g = gpuinfo_query();
    char line[256];
    gpuinfo_format(&g, line, sizeof line);
    if (!g.present) {
        assert_no_gpu(&g);
        cr_assert_eq(g.count, 0);
    } else { /* a machine with a GPU: real numbers, never zero */
        cr_assert_gt(g.total_mib, 0.0, "%s", line);
        cr_assert_geq(g.used_mib, 0.0, "%s", line);
        cr_assert_neq(g.name[0], '\0');
        cr_assert(strstr(line, g.name), "%s", line);
    }
}

Test(gpuinfo, nvml_v2_memory_with_versioned_struct_and_process_share)
{
    GpuInfo g = fake_query("");
    cr_assert(g.present, "%s", g.why);
    cr_assert_eq(g.count, 1);
    cr_assert_str_eq(g.name, "Fake GPU 80GB");
    cr_assert_str_eq(g.source, "nvml");
    cr_assert_float_eq(g.total_mib, 81559.0, 1e-9);
    cr_assert_float_eq(g.used_mib, 1234.0, 1e-9, "v2 'used' excludes the reserve (got %.1f)", g.used_mib);
    cr_assert_float_eq(g.process_mib, 1200.0, 1e-9);
    char line[256];
    gpuinfo_format(&g, line, sizeof line);
    cr_assert_str_eq(line, "Fake GPU 80GB: 1234 / 81559 MiB used (this process 1200 MiB)");
}

Test(gpuinfo, nvml_without_v2_memory_falls_back_to_v1)
{
    GpuInfo g = fake_query("v1only");
    cr_assert(g.present);
    cr_assert_float_eq(g.used_mib, 1734.0, 1e-9);
    cr_assert_float_eq(g.total_mib, 81559.0, 1e-9);
}

Test(gpuinfo, process_list_larger_than_first_buffer_is_retried)
{
    GpuInfo g = fake_query("manyprocs");
    cr_assert(g.present);
    cr_assert_float_eq(g.process_mib, 1200.0, 1e-9);
}

Test(gpuinfo, process_not_in_list_is_na_not_zero)
{
    GpuInfo g = fake_query("notlisted");
    cr_assert(g.present);
    cr_assert_eq(g.process_mib, -1.0);
    char line[256];
    gpuinfo_format(&g, line, sizeof line);
    cr_assert_str_eq(line, "Fake GPU 80GB: 1234 / 81559 MiB used (this process n/a)");
}

Test(gpuinfo, nvml_with_no_device_is_no_gpu)
{
    GpuInfo g = fake_query("nodevice");
    assert_no_gpu(&g);
    cr_assert_str_eq(g.why, "NVML sees no GPU");
}

Test(gpuinfo, nvml_that_does_not_start_is_no_gpu_with_its_reason)
{
    GpuInfo g = fake_query("initfail");
    assert_no_gpu(&g);
    cr_assert(strstr(g.why, "Driver Not Loaded"), "%s", g.why);
}

Test(gpuinfo, format_is_bounded)
{
    GpuInfo g = gpuinfo_query_nvml("/nonexistent/lib.so", 0);
    char tiny[8];
    gpuinfo_format(&g, tiny, sizeof tiny);
    cr_assert_eq(strlen(tiny), sizeof tiny - 1);
    cr_assert(strncmp(tiny, "no GPU", 6) == 0);
}

/* ---- the CUDA backend without a usable device ------------------------------------ */

Test(backend_cuda, unavailable_backend_says_why)
{
    char why[256] = "";
    bool ok = cuda_backend_available(NULL, why, sizeof why);
#ifdef VERSUS_HAVE_CUDA
    if (ok)
        cr_skip_test("this machine has a usable CUDA device (tests/gpu/test_cuda covers it)");
    cr_assert(strncmp(why, "no CUDA device", 14) == 0, "%s", why);
#else
    cr_assert(!ok);
    cr_assert(strstr(why, "this build has no CUDA backend"), "%s", why);
#endif
    uint64_t fr = 1, tot = 1;
    char err[256] = "";
    cr_assert_eq(cuda_device_memory(0, &fr, &tot, err, sizeof err), -1);
    cr_assert_neq(err[0], '\0');
}

Test(backend_cuda, new_model_without_device_fails_cleanly)
{
    char why[256];
    if (cuda_backend_available(NULL, why, sizeof why))
        cr_skip_test("this machine has a usable CUDA device");
    char *mp = testenv_shared_path("models/stories260K.gguf");
    if (!mp)
        cr_skip_test("VERSUS_SHARED not set");
    char err[256] = "";
    GgufFile *g = gguf_open(mp, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    Model *m = model_new(g, NULL, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    CudaOptions o = { .gpu_layers = -1 };
    err[0] = '\0';
    CudaModel *cm = cuda_model_new(g, m, &o, err, sizeof err);
    cr_assert_null(cm);
    cr_assert(strstr(err, "no CUDA") || strstr(err, "this build has no CUDA backend"), "%s", err);
    cuda_model_free(NULL);
    model_free(m);
    gguf_close(g);
    free(mp);
}

Test(backend_cuda, plan_counts_weights_kv_and_offload_split)
{
    char *mp = testenv_shared_path("models/stories260K.gguf");
    if (!mp)
        cr_skip_test("VERSUS_SHARED not set");
    char err[256];
    GgufFile *g = gguf_open(mp, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    Model *m = model_new(g, NULL, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    const ModelConfig *c = model_config(m);
    uint64_t tensors = 0;
    for (int64_t i = 0; i < gguf_tensor_count(g); i++)
        tensors += gguf_tensor(g, i)->nbytes;

    CudaPlan all, part;
    CudaOptions o = { .gpu_layers = -1 };
    cr_assert_eq(cuda_model_plan(g, m, &o, &all, err, sizeof err), 0, "%s", err);
    cr_assert_eq(all.gpu_layers, c->n_layers);
    cr_assert_eq(all.weights_host, 0);
    cr_assert_geq(all.weights_device, tensors); /* every tensor, each padded to 256 bytes */
    cr_assert_lt(all.weights_device, tensors + 256ull * (uint64_t)gguf_tensor_count(g));
    /* the device keeps its own F32 cache, whatever type the CPU's has */
    cr_assert_eq(all.kv, 2ull * c->n_layers * c->n_ctx * c->n_kv_heads * c->head_dim * 4);
    cr_assert_gt(all.scratch, (uint64_t)c->n_vocab * 4);
    cr_assert_eq(all.total_device, all.weights_device + all.kv + all.scratch);
    cr_assert_geq(all.splits, 1);

    o.gpu_layers = 2;
    cr_assert_eq(cuda_model_plan(g, m, &o, &part, err, sizeof err), 0, "%s", err);
    cr_assert_eq(part.gpu_layers, 2);
    cr_assert_gt(part.weights_host, 0);
    cr_assert_eq(part.weights_device + part.weights_host, all.weights_device);
    cr_assert_lt(part.total_device, all.total_device);

    o.gpu_layers = -1;
    cr_assert_eq(cuda_model_layers_that_fit(g, m, &o, all.total_device), c->n_layers);
    int k = cuda_model_layers_that_fit(g, m, &o, all.total_device - 1);
    cr_assert(k >= 0 && k < c->n_layers, "%d", k);
    cr_assert_eq(cuda_model_layers_that_fit(g, m, &o, 1000), -1);
    model_free(m);
    gguf_close(g);
    free(mp);
}
