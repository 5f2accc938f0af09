# kernels.mk — kernels/: the CUDA kernels, one family per .cu file. They are
# compiled by $(NVCC) into objects that join libversus.a, only when configure
# found a working nvcc (HAVE_CUDA); a build without CUDA never looks at them.
# Their host side is src/engine/backend_cuda.c (built in every configuration:
# without CUDA it is the stub that says so), which finds kernels.h through the
# include path below. The device test is in tests/tests.mk.

KERNEL_CU = kernels/matvec_q.cu kernels/matmul_q.cu kernels/rmsnorm.cu kernels/rope.cu \
	kernels/attention.cu kernels/swiglu.cu kernels/embed.cu kernels/sampling.cu
KERNEL_HDRS = kernels/kernels.h kernels/dequant.cuh
EXTRA_DIST += $(KERNEL_CU) $(KERNEL_HDRS)

if HAVE_CUDA
KERNEL_OBJS = $(KERNEL_CU:.cu=.$(OBJEXT))
libversus_a_LIBADD += $(KERNEL_OBJS)
CLEANFILES += $(KERNEL_OBJS)
$(KERNEL_OBJS): $(top_srcdir)/kernels/kernels.h $(top_srcdir)/kernels/dequant.cuh \
	$(top_srcdir)/src/core/ggml_type.h
endif

# nvcc: one object per kernel family, into the build tree (VPATH-safe).
SUFFIXES = .cu
.cu.o:
	@$(MKDIR_P) $(@D)
	$(AM_V_GEN)$(NVCC) $(NVCC_FLAGS) -I$(top_srcdir)/src -I$(top_srcdir)/kernels -c -o $@ $<

# `make check-gpu`: the device test in full, generating the 1B model first
# (`tests/gpu/test_cuda --bench --model FILE` times the backend).
GPU_TEST_MODEL = gpu-test-1B.Q4_K.gguf
$(GPU_TEST_MODEL): bench/versus-mkmodel$(EXEEXT)
	bench/versus-mkmodel$(EXEEXT) --params 1B --type q4_k -o $@.tmp && mv $@.tmp $@
CLEANFILES += $(GPU_TEST_MODEL) $(GPU_TEST_MODEL).tmp

check-gpu: tests/gpu/test_cuda$(EXEEXT) $(GPU_TEST_MODEL)
	VERSUS_SHARED='$(VERSUS_SHARED)' tests/gpu/test_cuda$(EXEEXT) --full --model $(GPU_TEST_MODEL)
.PHONY: check-gpu

# Without a GPU: the same test program, with the real kernels and backend run
# on the CPU by a small SIMT emulator (slow; the model checks only). Needs
# g++ and python3. See tests/gpu/emu/run-emu.sh.
EXTRA_DIST += tests/gpu/emu/run-emu.sh tests/gpu/emu/cu2cpp.py tests/gpu/emu/simt.h \
	tests/gpu/emu/simt.cpp tests/gpu/emu/cuda_runtime_api.h tests/gpu/emu/cuda_fp16.h
check-gpu-emu: libversus.a
	VERSUS_SHARED='$(VERSUS_SHARED)' $(top_srcdir)/tests/gpu/emu/run-emu.sh $(abs_top_builddir) --models-only
.PHONY: check-gpu-emu
