/* simt.cpp (tests/gpu/emu) — the emulator behind run-emu.sh: CUDA threads as
 * ucontext fibers scheduled block by block, barriers for __syncthreads and
 * warp shuffles (a barrier some live thread never reaches aborts), graph
 * capture as a recorded list of launches, and the fake runtime calls. */
#include "simt.h"
#include "cuda_runtime_api.h"
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <vector>
#include <map>
thread_local uint3e threadIdx, blockIdx, blockDim, gridDim;
unsigned char *emu_dyn_smem;
enum { RUN, WAIT_BLOCK, WAIT_WARP, DONE };
struct Fiber { ucontext_t ctx; int state; char *stack; float fv; int iv; };
static std::vector<Fiber> fibers;
static ucontext_t sched_ctx;
static int cur;
static std::function<void()> *cur_body;
static void fiber_main(int id) {
    (void)id;
    (*cur_body)();
    fibers[cur].state = DONE;
    swapcontext(&fibers[cur].ctx, &sched_ctx);
}
static void wait_state(int st) { fibers[cur].state = st; swapcontext(&fibers[cur].ctx, &sched_ctx); }
void __syncthreads() { wait_state(WAIT_BLOCK); }
static void warp_barrier() { wait_state(WAIT_WARP); }
float emu_shfl_f(float v, int a, int mode) {
    int lane = cur % 32, base = cur - lane;
    fibers[cur].fv = v; warp_barrier();
    int src = base + (mode ? (lane ^ a) : a);
    float r = src < (int)fibers.size() ? fibers[src].fv : v;
    warp_barrier(); return r;
}
int emu_shfl_i(int v, int a, int mode) {
    int lane = cur % 32, base = cur - lane;
    fibers[cur].iv = v; warp_barrier();
    int src = base + (mode ? (lane ^ a) : a);
    int r = src < (int)fibers.size() ? fibers[src].iv : v;
    warp_barrier(); return r;
}
static bool capturing;
struct EmuGraph { std::vector<std::function<void()>> ops; };
static EmuGraph *capture_graph;
static void run_block(dim3 grid, dim3 block, size_t smem, std::function<void()> &body, unsigned bx, unsigned by, unsigned bz) {
    int n = (int)block.x;
    if ((int)fibers.size() != n) {
        for (auto &f : fibers) free(f.stack);
        fibers.assign(n, Fiber{});
        for (auto &f : fibers) f.stack = (char *)malloc(256 * 1024);
    }
    std::vector<unsigned char> sm(smem + 16);
    emu_dyn_smem = sm.data();
    cur_body = &body;
    for (int i = 0; i < n; i++) {
        getcontext(&fibers[i].ctx);
        fibers[i].ctx.uc_stack.ss_sp = fibers[i].stack; fibers[i].ctx.uc_stack.ss_size = 256 * 1024;
        fibers[i].ctx.uc_link = &sched_ctx; fibers[i].state = RUN;
        makecontext(&fibers[i].ctx, (void (*)())fiber_main, 1, i);
    }
    for (;;) {
        bool progressed = false;
        for (int i = 0; i < n; i++) if (fibers[i].state == RUN) {
            cur = i;
            threadIdx = {(unsigned)i, 0, 0}; blockIdx = {bx, by, bz}; blockDim = {block.x, 1, 1}; gridDim = {grid.x, grid.y, grid.z};
            swapcontext(&sched_ctx, &fibers[i].ctx);
            progressed = true;
        }
        if (progressed) continue;
        bool all_done = true; for (auto &f : fibers) if (f.state != DONE) all_done = false;
        if (all_done) break;
        /* release warps whose live lanes all wait at a warp barrier */
        bool released = false;
        for (int w = 0; w * 32 < n; w++) {
            int live = 0, waiting = 0, blockwait = 0;
            for (int l = w * 32; l < w * 32 + 32 && l < n; l++) {
                if (fibers[l].state != DONE) live++;
                if (fibers[l].state == WAIT_WARP) waiting++;
                if (fibers[l].state == WAIT_BLOCK) blockwait++;
            }
            if (waiting && blockwait) { fprintf(stderr, "EMU: warp %d split between shuffle and syncthreads\n", w); abort(); }
            if (waiting && waiting != 32 && (w * 32 + 32 <= n)) {
                if (waiting != live) continue;
                fprintf(stderr, "EMU: shuffle in warp %d with only %d of 32 lanes alive\n", w, live); abort();
            }
            if (waiting && waiting == live) { for (int l = w * 32; l < w * 32 + 32 && l < n; l++) if (fibers[l].state == WAIT_WARP) fibers[l].state = RUN; released = true; }
        }
        if (released) continue;
        int live = 0, waiting = 0;
        for (auto &f : fibers) { if (f.state != DONE) live++; if (f.state == WAIT_BLOCK) waiting++; }
        if (waiting == live) { for (auto &f : fibers) if (f.state == WAIT_BLOCK) f.state = RUN; continue; }
        fprintf(stderr, "EMU: deadlock\n"); abort();
    }
}
void emu_launch(dim3 grid, dim3 block, size_t smem, std::function<void()> body) {
    if (capturing) { capture_graph->ops.push_back([=]() mutable { emu_launch(grid, block, smem, body); }); return; }
    for (unsigned z = 0; z < grid.z; z++) for (unsigned y = 0; y < grid.y; y++) for (unsigned x = 0; x < grid.x; x++)
        run_block(grid, block, smem, body, x, y, z);
}
extern "C" {
static cudaError_t last = cudaSuccess;
cudaError_t cudaGetDeviceCount(int *n) { *n = 1; return cudaSuccess; }
cudaError_t cudaSetDevice(int) { return cudaSuccess; }
cudaError_t cudaMemGetInfo(size_t *f, size_t *t) { *f = 8ull << 30; *t = 16ull << 30; return cudaSuccess; }
const char *cudaGetErrorString(cudaError_t e) { return e ? "emulated error" : "no error"; }
const char *cudaGetErrorName(cudaError_t e) { return e ? "cudaErrorEmu" : "cudaSuccess"; }
cudaError_t cudaGetLastError(void) { cudaError_t e = last; last = cudaSuccess; return e; }
cudaError_t cudaMalloc(void **p, size_t n) { *p = aligned_alloc(256, (n + 255) / 256 * 256); return *p ? cudaSuccess : cudaErrorMemoryAllocation; }
cudaError_t cudaFree(void *p) { free(p); return cudaSuccess; }
cudaError_t cudaMemcpy(void *d, const void *s, size_t n, enum cudaMemcpyKind) { memcpy(d, s, n); return cudaSuccess; }
cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, enum cudaMemcpyKind k, cudaStream_t) {
    if (capturing) { capture_graph->ops.push_back([=] { memcpy(d, s, n); }); return cudaSuccess; }
    (void)k; memcpy(d, s, n); return cudaSuccess; }
cudaError_t cudaMemset(void *p, int v, size_t n) { memset(p, v, n); return cudaSuccess; }
cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t) { memset(p, v, n); return cudaSuccess; }
cudaError_t cudaHostAlloc(void **p, size_t n, unsigned) { *p = aligned_alloc(256, (n + 255) / 256 * 256); return cudaSuccess; }
cudaError_t cudaFreeHost(void *p) { free(p); return cudaSuccess; }
cudaError_t cudaHostGetDevicePointer(void **d, void *h, unsigned) { *d = h; return cudaSuccess; }
cudaError_t cudaDeviceGetAttribute(int *v, enum cudaDeviceAttr, int) { *v = 4; return cudaSuccess; }
cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *p, int) { snprintf(p->name, sizeof p->name, "SIMT emulator"); p->multiProcessorCount = 4; return cudaSuccess; }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned) { *s = (cudaStream_t)1; return cudaSuccess; }
cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }
cudaError_t cudaStreamBeginCapture(cudaStream_t, enum cudaStreamCaptureMode) { capturing = true; capture_graph = new EmuGraph; return cudaSuccess; }
cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t *g) { capturing = false; *g = capture_graph; return cudaSuccess; }
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *e, cudaGraph_t g, unsigned long long) { *e = new EmuGraph(*g); return cudaSuccess; }
cudaError_t cudaGraphDestroy(cudaGraph_t g) { delete g; return cudaSuccess; }
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) { delete e; return cudaSuccess; }
cudaError_t cudaGraphLaunch(cudaGraphExec_t e, cudaStream_t) { for (auto &op : e->ops) op(); return cudaSuccess; }
}
