/* fake_nvml.c — a stand-in for libnvidia-ml.so.1 that test_gpuinfo dlopens,
 * so the NVML code path is exercised on machines without a GPU. It checks
 * what the real library checks (the versioned memory struct) and serves a
 * fixed "device". Behaviour by $FAKE_NVML: "" (one GPU, v2 memory, this
 * process listed), "v1only" (the _v2 memory call reports not supported),
 * "nodevice", "initfail", "manyprocs" (the process list needs a second call
 * with a bigger buffer), "notlisted" (this process is absent from the list).
 * Not part of versus. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NVML_SUCCESS 0
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_DRIVER_NOT_LOADED 9
#define NVML_ERROR_ARGUMENT_VERSION_MISMATCH 25
#define MIB (1024ull * 1024ull)

typedef struct { unsigned long long total, free, used; } MemV1;
typedef struct { unsigned int version; unsigned long long total, reserved, free, used; } MemV2;
typedef struct { unsigned int pid; unsigned long long used; unsigned int gi, ci; } Proc;

static const char *mode(void)
{
    const char *m = getenv("FAKE_NVML");
    return m ? m : "";
}

int nvmlInit_v2(void);
int nvmlShutdown(void);
const char *nvmlErrorString(int r);
int nvmlDeviceGetCount_v2(unsigned int *n);
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev);
int nvmlDeviceGetName(void *dev, char *name, unsigned int len);
int nvmlDeviceGetMemoryInfo(void *dev, MemV1 *m);
int nvmlDeviceGetMemoryInfo_v2(void *dev, MemV2 *m);
int nvmlDeviceGetComputeRunningProcesses_v3(void *dev, unsigned int *count, Proc *p);

static int dummy_device;

int nvmlInit_v2(void) { return strcmp(mode(), "initfail") == 0 ? NVML_ERROR_DRIVER_NOT_LOADED : NVML_SUCCESS; }
int nvmlShutdown(void) { return NVML_SUCCESS; }

const char *nvmlErrorString(int r)
{
    return r == NVML_ERROR_DRIVER_NOT_LOADED ? "Driver Not Loaded" : "Unknown Error";
}

int nvmlDeviceGetCount_v2(unsigned int *n)
{
    *n = strcmp(mode(), "nodevice") == 0 ? 0 : 1;
    return NVML_SUCCESS;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev)
{
    if (i != 0)
        return NVML_ERROR_INVALID_ARGUMENT;
    *dev = &dummy_device;
    return NVML_SUCCESS;
}

int nvmlDeviceGetName(void *dev, char *name, unsigned int len)
{
    (void)dev;
    const char *n = "Fake GPU 80GB";
    if (len < strlen(n) + 1)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    memcpy(name, n, strlen(n) + 1);
    return NVML_SUCCESS;
}

int nvmlDeviceGetMemoryInfo(void *dev, MemV1 *m)
{
    (void)dev;
    m->total = 81559 * MIB;
    m->used = 1734 * MIB; /* v1 counts the driver's 500 MiB reserve as used */
    m->free = m->total - m->used;
    return NVML_SUCCESS;
}

int nvmlDeviceGetMemoryInfo_v2(void *dev, MemV2 *m)
{
    (void)dev;
    if (strcmp(mode(), "v1only") == 0)
        return NVML_ERROR_NOT_SUPPORTED;
    if (m->version != (unsigned int)(sizeof(MemV2) | (2u << 24)))
        return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
    m->total = 81559 * MIB;
    m->reserved = 500 * MIB;
    m->used = 1234 * MIB;
    m->free = m->total - m->reserved - m->used;
    return NVML_SUCCESS;
}

int nvmlDeviceGetComputeRunningProcesses_v3(void *dev, unsigned int *count, Proc *p)
{
    (void)dev;
    unsigned int n = strcmp(mode(), "manyprocs") == 0 ? 100 : 2;
    if (*count < n) {
        *count = n;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    for (unsigned int i = 0; i < n; i++) {
        p[i].pid = 1000000 + i; /* other processes */
        p[i].used = 10 * MIB;
        p[i].gi = p[i].ci = 0;
    }
    if (strcmp(mode(), "notlisted") != 0) {
        p[n - 1].pid = (unsigned int)getpid();
        p[n - 1].used = 1200 * MIB;
    }
    *count = n;
    return NVML_SUCCESS;
}
