#ifndef DELTA_ARB_CINTRINSICS_SHIM_H
#define DELTA_ARB_CINTRINSICS_SHIM_H
// Processor instructions and C library settings Swift has no spelling for
// (the Glibc module leaves out <malloc.h>). Header-only: the
// functions are inlined into their Swift callers, with the instructions the
// build's target allows (AVX with -target-cpu haswell or later, SSE2 on any
// x86-64, plain C elsewhere); every version gives the same answer.

#if defined(__AVX__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Bit `i` set where `values[i] >= level`, for the 16 values from `values`
/// (NaN compares false, as in Swift). The compare results become one integer
/// by the processor's mask-extraction instruction, where Swift's SIMD masks
/// compile to a chain of packs and shuffles.
static inline unsigned delta_arb_at_least_mask16(const double *values, double level) {
#if defined(__AVX__)
    __m256d bar = _mm256_set1_pd(level);
    unsigned mask = 0;
    for (int quarter = 0; quarter < 4; quarter++) {
        __m256d v = _mm256_loadu_pd(values + 4 * quarter);
        mask |= (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(v, bar, _CMP_GE_OQ)) << (4 * quarter);
    }
    return mask;
#elif defined(__SSE2__)
    __m128d bar = _mm_set1_pd(level);
    unsigned mask = 0;
    for (int pair = 0; pair < 8; pair++) {
        __m128d v = _mm_loadu_pd(values + 2 * pair);
        mask |= (unsigned)_mm_movemask_pd(_mm_cmpge_pd(v, bar)) << (2 * pair);
    }
    return mask;
#else
    unsigned mask = 0;
    for (int i = 0; i < 16; i++) mask |= (unsigned)(values[i] >= level) << i;
    return mask;
#endif
}

#if defined(__GLIBC__)
#include <malloc.h>
#endif

/// Lets the C allocator keep up to `bytes` of freed heap memory for reuse
/// instead of returning it to the system at every free (glibc
/// `M_TRIM_THRESHOLD`); nothing with other C libraries.
static inline void delta_arb_retain_freed_heap(int bytes) {
#if defined(__GLIBC__)
    mallopt(M_TRIM_THRESHOLD, bytes);
#else
    (void)bytes;
#endif
}

#endif
