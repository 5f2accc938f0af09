/* gpuinfo.h — what the GPU is and how much of its memory is in use, for the
 * status bars, `versus bench` and the CUDA backend's fit check.
 *
 * NVML is loaded at run time (dlopen("libnvidia-ml.so.1")), so the binary
 * starts on machines without the NVIDIA driver; device memory comes from
 * nvmlDeviceGetMemoryInfo_v2 (falling back to the v1 call on older drivers),
 * this process's share from nvmlDeviceGetComputeRunningProcesses_v3. A CUDA
 * build falls back to cudaMemGetInfo when NVML is missing. No GPU is an
 * explicit state (present = false), never zero memory; a figure that cannot
 * be had is -1 and shows as "n/a". Not for choosing or driving a device (see
 * engine/backend_cuda.h). */
#ifndef VERSUS_GPUINFO_H
#define VERSUS_GPUINFO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct GpuInfo {
    bool present;          /* a device answered; false = "no GPU" and every figure is -1 */
    int count;             /* devices visible (0 when none) */
    char name[96];         /* of device `index`, e.g. "NVIDIA H100 80GB HBM3" */
    double total_mib;      /* device memory, MiB; -1 = unknown */
    double used_mib;       /* in use by every process, MiB; -1 = unknown */
    double process_mib;    /* in use by this process, MiB; -1 = unknown (not listed, no NVML) */
    char source[8];        /* "nvml", "cudart" or "none" */
    char why[160];         /* when !present: why ("libnvidia-ml.so.1 not found", ...) */
} GpuInfo;

/* Device 0 through NVML (the cached library), else cudaMemGetInfo in CUDA
 * builds. Thread-safe; cheap after the first call (NVML stays loaded). */
GpuInfo gpuinfo_query(void);

/* Device `index` through the NVML library at lib_path (NULL = the system's
 * libnvidia-ml.so.1), loaded, initialised and released within the call; no
 * CUDA fallback. For tests (a fake NVML) and tools. */
GpuInfo gpuinfo_query_nvml(const char *lib_path, int index);

/* One line for a status bar or report, into buf (always NUL-terminated):
 * "NVIDIA H100 80GB HBM3: 1234 / 81559 MiB used (this process 1200 MiB)",
 * with "n/a" for unknown figures, or "no GPU (why)". Returns buf. */
const char *gpuinfo_format(const GpuInfo *g, char *buf, size_t n);

#endif
