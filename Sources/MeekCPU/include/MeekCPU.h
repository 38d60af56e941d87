#ifndef MEEK_CPU_H
#define MEEK_CPU_H

/// 1 when this build was tuned for AVX2 CPUs (`make build` on such a machine: Swift code
/// compiled with -target-cpu haswell), else 0. Such a build refuses to start, with a clear
/// message and exit status 2, on a CPU without AVX2, FMA and BMI2 (instead of dying of an
/// illegal instruction): the check runs as a constructor, before any Swift code.
int meek_cpu_tuned(void);

#endif
