#ifndef DELTA_ARB_CINTRINSICS_SHIM_H
#define DELTA_ARB_CINTRINSICS_SHIM_H
// Processor instructions and C library settings Swift has no spelling for
// (the Glibc module leaves out <malloc.h>). Header-only: the functions are
// inlined into their Swift callers. `delta_arb_at_least_mask16` uses the
// instructions the build's target allows (AVX with -target-cpu haswell or
// later, SSE2 on any x86-64, plain C elsewhere); the `_avx2` functions are
// built for AVX2 in any build and are called only where
// `delta_arb_cpu_has_avx2` says the processor has it (their callers keep a
// portable path beside them). Every version gives the same answer.

#if defined(__x86_64__)
#include <immintrin.h>
#include <cpuid.h>
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

/// The 8 bytes at `bytes`, any alignment, as one integer (the first byte in
/// the low bits on little-endian machines). One load instruction: Swift's
/// `loadUnaligned` is a generic call that the optimizer sometimes leaves
/// out of line in a large loop.
static inline unsigned long long delta_arb_load64(const void *bytes) {
    unsigned long long value;
    __builtin_memcpy(&value, bytes, sizeof value);
    return value;
}

/// Whether the processor and the system support AVX2 (CPUID and the
/// saved register state), for the `_avx2` functions below, which are built
/// for AVX2 whatever the build's target: inlined into an AVX2 build, called
/// otherwise. Call them only when this says 1.
static inline int delta_arb_cpu_has_avx2(void) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    // OSXSAVE and AVX, and the system saving the vector registers (XCR0 bits 1 and 2).
    if (!(c & (1u << 27)) || !(c & (1u << 28))) return 0;
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    (void)high;
    if ((low & 6) != 6 || __get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 5)) != 0;
#else
    return 0;
#endif
}

// Always inlined into a build whose target has AVX2 (the arguments then
// stay in registers: called, the vector built from them is read back
// through memory and stalls); never into others, whose code may not
// contain AVX2 instructions.
#if defined(__AVX2__)
#define DELTA_ARB_AVX2 __attribute__((target("avx2"), always_inline))
#elif defined(__x86_64__)
#define DELTA_ARB_AVX2 __attribute__((target("avx2"), noinline))
#else
#define DELTA_ARB_AVX2
#endif

/// Bit `i` set where byte `i` of the 64 at `bytes` is `,` or LF: a CSV
/// piece's separators, 32 bytes per compare. AVX2 only (see above).
DELTA_ARB_AVX2 static inline unsigned long long delta_arb_separator_mask64_avx2(const unsigned char *bytes) {
#if defined(__x86_64__)
    const __m256i comma = _mm256_set1_epi8(','), lf = _mm256_set1_epi8('\n');
    const __m256i first = _mm256_loadu_si256((const __m256i *)bytes);
    const __m256i second = _mm256_loadu_si256((const __m256i *)(bytes + 32));
    const unsigned low = (unsigned)_mm256_movemask_epi8(
        _mm256_or_si256(_mm256_cmpeq_epi8(first, comma), _mm256_cmpeq_epi8(first, lf)));
    const unsigned high = (unsigned)_mm256_movemask_epi8(
        _mm256_or_si256(_mm256_cmpeq_epi8(second, comma), _mm256_cmpeq_epi8(second, lf)));
    return (unsigned long long)high << 32 | low;
#else
    (void)bytes;
    return 0;
#endif
}

/// Four short decimal fields at once, one per 64-bit lane: `w0`...`w3` are
/// the 8 bytes that end where each field ends (first byte in the low bits),
/// `n0`...`n3` each field's length in bytes (its bytes are the top ones of
/// its word). A field is 1...8 bytes of `digits[.digits]`, `.digits` or
/// `digits.`; its value `significand / 10^fraction digits` (both exact: at
/// most 8 digits) is divided once, so it is the correctly rounded double.
/// Returns 0 and stores the four values at `out`, or nonzero when any field
/// is anything else (empty, longer than 8 bytes, no digit, a second point,
/// another byte) or, with `positive`, is zero; then `out` is untouched.
///
/// The digits are combined by the byte and word multiply-adds (pairs, then
/// quads, then one 32-bit multiply), and 10^k is picked from a register by a
/// permute. AVX2 only (see above).
DELTA_ARB_AVX2 static inline int delta_arb_decimals4_avx2(unsigned long long w0, unsigned long long w1,
                                      unsigned long long w2, unsigned long long w3,
                                      long long n0, long long n1, long long n2, long long n3,
                                      int positive, double *out) {
#if defined(__x86_64__)
    const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi64x(1);
    const __m256i words = _mm256_set_epi64x((long long)w3, (long long)w2, (long long)w1, (long long)w0);
    // Lengths 1...8 only; the top `length` bytes of each word are its field.
    const __m256i lengths = _mm256_set_epi64x(n3, n2, n1, n0);
    __m256i bad = _mm256_or_si256(_mm256_cmpgt_epi64(one, lengths), _mm256_cmpgt_epi64(lengths, _mm256_set1_epi64x(8)));
    const __m256i field = _mm256_sllv_epi64(_mm256_set1_epi64x(-1),
                                            _mm256_sub_epi64(_mm256_set1_epi64x(64), _mm256_slli_epi64(lengths, 3)));
    // Digit bytes: their distance from '0' is at most 9.
    const __m256i distance = _mm256_sub_epi8(words, _mm256_set1_epi8('0'));
    const __m256i digit = _mm256_cmpeq_epi8(_mm256_min_epu8(distance, _mm256_set1_epi8(9)), distance);
    const __m256i nonDigit = _mm256_andnot_si256(digit, field);
    const __m256i pointLanes = _mm256_xor_si256(_mm256_cmpeq_epi64(nonDigit, zero), _mm256_set1_epi64x(-1));
    // The top bit of each non-digit byte; two in a lane is a decline.
    const __m256i top = _mm256_and_si256(nonDigit, _mm256_set1_epi8((char)0x80));
    bad = _mm256_or_si256(bad, _mm256_and_si256(top, _mm256_sub_epi64(top, one)));
    // The non-digit must be '.', and not the whole field.
    bad = _mm256_or_si256(bad, _mm256_and_si256(_mm256_xor_si256(words, _mm256_set1_epi8('.')), nonDigit));
    bad = _mm256_or_si256(bad, _mm256_and_si256(_mm256_cmpeq_epi64(_mm256_slli_epi64(field, 8), zero), pointLanes));
    // Bytes up to and including the point (every byte where there is none).
    const __m256i upTo = _mm256_sub_epi64(_mm256_slli_epi64(top, 1), one);
    const __m256i below = _mm256_and_si256(upTo, pointLanes);
    // Close the gap: the bytes up to the point move up one byte.
    const __m256i compact = _mm256_or_si256(_mm256_andnot_si256(below, words),
                                            _mm256_and_si256(_mm256_slli_epi64(words, 8), below));
    const __m256i digits = _mm256_blendv_epi8(field, _mm256_slli_epi64(field, 8), pointLanes);
    const __m256i values = _mm256_and_si256(_mm256_and_si256(compact, digits), _mm256_set1_epi8(0x0F));
    // The lower byte of a pair is the more significant digit.
    const __m256i pairs = _mm256_maddubs_epi16(values, _mm256_set1_epi16(0x010A));
    const __m256i quads = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00010064));
    const __m256i significands = _mm256_add_epi64(_mm256_mul_epu32(quads, _mm256_set1_epi64x(10000)),
                                                  _mm256_srli_epi64(quads, 32));
    if (positive) bad = _mm256_or_si256(bad, _mm256_cmpeq_epi64(significands, zero));
    if (!_mm256_testz_si256(bad, bad)) return 1;
    // Fraction digits: the field's bytes above the point, counted by a byte sum.
    const __m256i above = _mm256_andnot_si256(upTo, field);
    const __m256i fraction = _mm256_sad_epu8(_mm256_and_si256(above, _mm256_set1_epi8(1)), zero);
    // 10^fraction (0...7): dwords 2k and 2k + 1 of a table of four doubles, from one of two tables.
    const __m256i low = _mm256_slli_epi64(_mm256_and_si256(fraction, _mm256_set1_epi64x(3)), 1);
    const __m256i index = _mm256_or_si256(low, _mm256_slli_epi64(_mm256_add_epi64(low, one), 32));
    const __m256 smallPowers = _mm256_castpd_ps(_mm256_set_pd(1e3, 1e2, 1e1, 1e0));
    const __m256 largePowers = _mm256_castpd_ps(_mm256_set_pd(1e7, 1e6, 1e5, 1e4));
    const __m256d power = _mm256_blendv_pd(
        _mm256_castps_pd(_mm256_permutevar8x32_ps(smallPowers, index)),
        _mm256_castps_pd(_mm256_permutevar8x32_ps(largePowers, index)),
        _mm256_castsi256_pd(_mm256_cmpgt_epi64(fraction, _mm256_set1_epi64x(3))));
    // Below 2^52, OR-ing the integer into 2^52's significand and subtracting 2^52 converts it exactly.
    const __m256d magic = _mm256_set1_pd(4503599627370496.0);
    const __m256d significand = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(significands, _mm256_castpd_si256(magic))), magic);
    _mm256_storeu_pd(out, _mm256_div_pd(significand, power));
    return 0;
#else
    (void)w0; (void)w1; (void)w2; (void)w3; (void)n0; (void)n1; (void)n2; (void)n3; (void)positive; (void)out;
    return 1;
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
