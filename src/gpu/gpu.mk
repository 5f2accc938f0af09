# gpu.mk — src/gpu: GPU name and memory through NVML loaded at run time.
libversus_a_SOURCES += src/gpu/gpuinfo.c src/gpu/gpuinfo.h
