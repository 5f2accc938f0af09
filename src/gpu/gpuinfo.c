/* gpuinfo.c — GPU name and memory through NVML loaded at run time, with a
 * cudaMemGetInfo fallback in CUDA builds (see gpuinfo.h). NVML's types are
 * declared here from its documented ABI, so no NVIDIA header or library is
 * needed to build. Not for driving a device. */
#include "gpu/gpuinfo.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/errmsg.h"

#ifdef VERSUS_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

#define NVML_LIB "libnvidia-ml.so.1"
#define NVML_SUCCESS 0
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_VALUE_NOT_AVAILABLE (~0ULL)
#define MIB (1024.0 * 1024.0)

typedef int NvmlReturn;
typedef struct NvmlDeviceOpaque *NvmlDevice;

typedef struct NvmlMemoryV1 {
    unsigned long long total, free, used; /* bytes; used includes the driver's reserve */
} NvmlMemoryV1;

typedef struct NvmlMemoryV2 {
    unsigned int version;                 /* NVML_MEMORY_V2 */
    unsigned long long total, reserved, free, used;
} NvmlMemoryV2;

/* NVML_STRUCT_VERSION(Memory, 2): the struct's size with the version in the top byte. */
#define NVML_MEMORY_V2 ((unsigned int)(sizeof(NvmlMemoryV2) | (2u << 24)))

typedef struct NvmlProcessInfo {          /* nvmlProcessInfo_t of the _v2/_v3 calls */
    unsigned int pid;
    unsigned long long usedGpuMemory;     /* bytes, or NVML_VALUE_NOT_AVAILABLE */
    unsigned int gpuInstanceId, computeInstanceId;
} NvmlProcessInfo;

typedef struct Nvml {
    void *lib;
    NvmlReturn (*init)(void);
    NvmlReturn (*shutdown)(void);
    const char *(*error_string)(NvmlReturn);
    NvmlReturn (*count)(unsigned int *);
    NvmlReturn (*handle)(unsigned int, NvmlDevice *);
    NvmlReturn (*name)(NvmlDevice, char *, unsigned int);
    NvmlReturn (*mem_v2)(NvmlDevice, NvmlMemoryV2 *);      /* NULL on old drivers */
    NvmlReturn (*mem_v1)(NvmlDevice, NvmlMemoryV1 *);
    NvmlReturn (*procs)(NvmlDevice, unsigned int *, NvmlProcessInfo *); /* _v3 or _v2, may be NULL */
} Nvml;

static void set_why(GpuInfo *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_why(GpuInfo *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errmsg_vset(g->why, sizeof g->why, fmt, ap);
    va_end(ap);
}

static GpuInfo info_none(void)
{
    GpuInfo g;
    memset(&g, 0, sizeof g);
    g.total_mib = g.used_mib = g.process_mib = -1.0;
    snprintf(g.source, sizeof g.source, "none");
    return g;
}

static const char *nvml_err(const Nvml *n, NvmlReturn r, char *buf, size_t len)
{
    const char *s = n->error_string ? n->error_string(r) : NULL;
    if (s)
        return s;
    snprintf(buf, len, "NVML error %d", r);
    return buf;
}

/* Loads and initialises NVML from path. 0, or -1 with the reason in g->why. */
static int nvml_open(Nvml *n, const char *path, GpuInfo *g)
{
    memset(n, 0, sizeof *n);
    n->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!n->lib) {
        set_why(g, "%s not found (no NVIDIA driver)", path);
        return -1;
    }
    n->init = (NvmlReturn(*)(void))dlsym(n->lib, "nvmlInit_v2");
    n->shutdown = (NvmlReturn(*)(void))dlsym(n->lib, "nvmlShutdown");
    n->error_string = (const char *(*)(NvmlReturn))dlsym(n->lib, "nvmlErrorString");
    n->count = (NvmlReturn(*)(unsigned int *))dlsym(n->lib, "nvmlDeviceGetCount_v2");
    n->handle = (NvmlReturn(*)(unsigned int, NvmlDevice *))dlsym(n->lib, "nvmlDeviceGetHandleByIndex_v2");
    n->name = (NvmlReturn(*)(NvmlDevice, char *, unsigned int))dlsym(n->lib, "nvmlDeviceGetName");
    n->mem_v2 = (NvmlReturn(*)(NvmlDevice, NvmlMemoryV2 *))dlsym(n->lib, "nvmlDeviceGetMemoryInfo_v2");
    n->mem_v1 = (NvmlReturn(*)(NvmlDevice, NvmlMemoryV1 *))dlsym(n->lib, "nvmlDeviceGetMemoryInfo");
    n->procs = (NvmlReturn(*)(NvmlDevice, unsigned int *, NvmlProcessInfo *))dlsym(
        n->lib, "nvmlDeviceGetComputeRunningProcesses_v3");
    if (!n->procs)
        n->procs = (NvmlReturn(*)(NvmlDevice, unsigned int *, NvmlProcessInfo *))dlsym(
            n->lib, "nvmlDeviceGetComputeRunningProcesses_v2");
    if (!n->init || !n->shutdown || !n->count || !n->handle || !n->name || !n->mem_v1) {
        set_why(g, "%s lacks the NVML functions needed (driver too old?)", path);
        dlclose(n->lib);
        n->lib = NULL;
        return -1;
    }
    NvmlReturn r = n->init();
    if (r != NVML_SUCCESS) {
        char buf[32];
        set_why(g, "NVML did not start: %s", nvml_err(n, r, buf, sizeof buf));
        dlclose(n->lib);
        n->lib = NULL;
        return -1;
    }
    return 0;
}

static void nvml_close(Nvml *n)
{
    if (!n->lib)
        return;
    n->shutdown();
    dlclose(n->lib);
    n->lib = NULL;
}

/* This process's memory on dev from the running-process list, bytes, or -1. */
static double nvml_process_bytes(const Nvml *n, NvmlDevice dev)
{
    if (!n->procs)
        return -1.0;
    unsigned int cap = 64;
    for (int attempt = 0; attempt < 4; attempt++) {
        NvmlProcessInfo *p = calloc(cap, sizeof *p);
        if (!p)
            return -1.0;
        unsigned int cnt = cap;
        NvmlReturn r = n->procs(dev, &cnt, p);
        if (r == NVML_ERROR_INSUFFICIENT_SIZE) {
            free(p);
            cap = cnt > cap ? cnt + 16 : cap * 2; /* the list may grow between calls */
            continue;
        }
        double out = -1.0;
        if (r == NVML_SUCCESS) {
            unsigned int me = (unsigned int)getpid();
            for (unsigned int i = 0; i < cnt && i < cap; i++)
                if (p[i].pid == me && p[i].usedGpuMemory != NVML_VALUE_NOT_AVAILABLE)
                    out = (double)p[i].usedGpuMemory;
        }
        free(p);
        return out;
    }
    return -1.0;
}

/* Fills g from device index of an open NVML. */
static void nvml_fill(const Nvml *n, int index, GpuInfo *g)
{
    char buf[32];
    unsigned int cnt = 0;
    NvmlReturn r = n->count(&cnt);
    if (r != NVML_SUCCESS) {
        set_why(g, "NVML cannot count devices: %s", nvml_err(n, r, buf, sizeof buf));
        return;
    }
    g->count = (int)cnt;
    if (cnt == 0) {
        set_why(g, "NVML sees no GPU");
        return;
    }
    if (index < 0 || (unsigned int)index >= cnt) {
        set_why(g, "no GPU %d (%u visible)", index, cnt);
        return;
    }
    NvmlDevice dev;
    r = n->handle((unsigned int)index, &dev);
    if (r != NVML_SUCCESS) {
        set_why(g, "NVML cannot open GPU %d: %s", index, nvml_err(n, r, buf, sizeof buf));
        return;
    }
    g->present = true;
    snprintf(g->source, sizeof g->source, "nvml");
    char name[96] = "";
    if (n->name(dev, name, sizeof name) == NVML_SUCCESS) {
        name[sizeof name - 1] = '\0';
        snprintf(g->name, sizeof g->name, "%s", name);
    } else {
        snprintf(g->name, sizeof g->name, "GPU %d", index);
    }
    NvmlMemoryV2 m2;
    memset(&m2, 0, sizeof m2);
    m2.version = NVML_MEMORY_V2;
    if (n->mem_v2 && n->mem_v2(dev, &m2) == NVML_SUCCESS) {
        g->total_mib = (double)m2.total / MIB;
        g->used_mib = (double)m2.used / MIB; /* without the driver's reserve */
    } else {
        NvmlMemoryV1 m1;
        if (n->mem_v1(dev, &m1) == NVML_SUCCESS) {
            g->total_mib = (double)m1.total / MIB;
            g->used_mib = (double)m1.used / MIB;
        }
    }
    double pb = nvml_process_bytes(n, dev);
    g->process_mib = pb < 0 ? -1.0 : pb / MIB;
}

GpuInfo gpuinfo_query_nvml(const char *lib_path, int index)
{
    GpuInfo g = info_none();
    Nvml n;
    if (nvml_open(&n, lib_path ? lib_path : NVML_LIB, &g) < 0)
        return g;
    nvml_fill(&n, index, &g);
    nvml_close(&n);
    return g;
}

#ifdef VERSUS_HAVE_CUDA
/* Device 0 through the CUDA runtime (creates a context on first use). */
static void cudart_fill(GpuInfo *g)
{
    int cnt = 0; /* untouched by cudaGetDeviceCount when there is no driver */
    cudaError_t e = cudaGetDeviceCount(&cnt);
    if (e != cudaSuccess || cnt <= 0) {
        char prev[sizeof g->why];
        snprintf(prev, sizeof prev, "%s", g->why);
        set_why(g, "%s; CUDA: %s", prev, e != cudaSuccess ? cudaGetErrorString(e) : "no device");
        (void)cudaGetLastError();
        return;
    }
    size_t fr = 0, tot = 0;
    if (cudaMemGetInfo(&fr, &tot) != cudaSuccess) {
        (void)cudaGetLastError();
        return;
    }
    g->present = true;
    g->count = cnt;
    g->why[0] = '\0';
    snprintf(g->source, sizeof g->source, "cudart");
    struct cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess)
        snprintf(g->name, sizeof g->name, "%s", prop.name);
    else
        snprintf(g->name, sizeof g->name, "GPU 0");
    g->total_mib = (double)tot / MIB;
    g->used_mib = (double)(tot - fr) / MIB;
}
#endif

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int cache_state; /* 0 = not tried, 1 = NVML open, -1 = NVML unavailable */
static Nvml cache_nvml;
static char cache_why[160];

GpuInfo gpuinfo_query(void)
{
    GpuInfo g = info_none();
    pthread_mutex_lock(&cache_lock);
    if (cache_state == 0) {
        cache_state = nvml_open(&cache_nvml, NVML_LIB, &g) == 0 ? 1 : -1;
        snprintf(cache_why, sizeof cache_why, "%s", g.why);
    }
    if (cache_state == 1)
        nvml_fill(&cache_nvml, 0, &g);
    else
        snprintf(g.why, sizeof g.why, "%s", cache_why);
    pthread_mutex_unlock(&cache_lock);
#ifdef VERSUS_HAVE_CUDA
    if (!g.present)
        cudart_fill(&g);
#endif
    return g;
}

static const char *mib_str(double v, char *buf, size_t n)
{
    if (v < 0)
        snprintf(buf, n, "n/a");
    else
        snprintf(buf, n, "%.0f", v);
    return buf;
}

const char *gpuinfo_format(const GpuInfo *g, char *buf, size_t n)
{
    if (!buf || !n)
        return buf;
    if (!g->present) {
        if (g->why[0])
            snprintf(buf, n, "no GPU (%s)", g->why);
        else
            snprintf(buf, n, "no GPU");
        return buf;
    }
    char used[32], total[32], proc[32];
    snprintf(buf, n, "%s: %s / %s MiB used (this process %s%s)", g->name, mib_str(g->used_mib, used, sizeof used),
             mib_str(g->total_mib, total, sizeof total), mib_str(g->process_mib, proc, sizeof proc),
             g->process_mib < 0 ? "" : " MiB");
    return buf;
}
