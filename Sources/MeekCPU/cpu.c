#include <stdio.h>
#include <stdlib.h>
#include "MeekCPU.h"

#if defined(MEEK_REQUIRE_AVX2) && defined(__x86_64__)
__attribute__((constructor)) static void meek_require_avx2(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") || !__builtin_cpu_supports("bmi2")) {
        fputs("meek: error: this build of meek is tuned for CPUs with AVX2 (x86-64-v3: Intel Haswell, "
              "AMD Excavator or later) and this CPU lacks it; build a portable one with `make build PORTABLE=1`\n",
              stderr);
        exit(2);
    }
}
int meek_cpu_tuned(void) { return 1; }
#else
int meek_cpu_tuned(void) { return 0; }
#endif
