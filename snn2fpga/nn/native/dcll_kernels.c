/* Event-driven DCLL conv layers on the CPU: local-learning training (forward + weight gradient) and the
 * hardware-exact integer path, one sample at a time with the per-neuron state in cache.
 *
 * The input of a DCLL conv layer is binary spike maps with a few percent of the entries set, so each set
 * input adds its K x K x Cout weights to the current (a scatter) instead of a dense convolution over
 * every position. Maps are position-major, [H][W][C] ("HWC"), inside the kernels and in their outputs:
 * a scatter and the weight-gradient gather then run over contiguous runs of values. Inputs may be HWC
 * or channel-major [C][H][W] (``hwc`` flag).
 *
 * The math is snn2fpga/nn/dcll_float.py's (training) and snn2fpga/semantics/dcll.py's (integer); the
 * Python side (snn2fpga/nn/dcll_native.py) documents the layouts and checks the shapes.
 *
 * Every exported kernel splits the batch over ``nthreads`` POSIX threads (samples are independent).
 *
 * Return codes: 0 ok, 1 an input value is neither 0 nor 1 (the caller takes the torch path),
 * 2 out of memory.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

typedef struct {
    int T, B, Cin, H, W, Cout, Ho, Wo, K, stride, pad;
} Geometry;

/* For every input position (yi, xi): the kernel taps that reach an output, as runs (offset of the first
 * weight in one input channel's [K][K][Cout] block, offset of the first output value in a [Ho][Wo][Cout]
 * map, length in taps of Cout values). The weights are stored with kx reversed ([Cin][ky][K-1-kx][Cout]), so with
 * stride 1 the taps of one kernel row are ONE contiguous run of weights feeding ONE contiguous run of
 * outputs (up to K x Cout values); with a larger stride every tap is a run of Cout values. Built once per
 * call: the per-spike loops hold no division and vectorise over whole runs. */
typedef struct {
    int32_t *count; /* [H W] runs per input position */
    int32_t *runs;  /* [H W][K K][3] */
    int32_t *dec;   /* [Cin H W]: input index -> (channel << 20) | position */
    int kk;
} Taps;

static void taps_free(Taps *tp) {
    free(tp->count);
    free(tp->runs);
    free(tp->dec);
}

static int taps_build(const Geometry *g, int hwc, Taps *tp) {
    const int hw = g->H * g->W, kk = g->K * g->K, C = g->Cout, K = g->K, nin = g->Cin * hw;
    tp->kk = kk;
    tp->count = malloc(sizeof(int32_t) * (size_t)hw);
    tp->runs = malloc(sizeof(int32_t) * 3 * (size_t)hw * kk);
    tp->dec = malloc(sizeof(int32_t) * (size_t)nin);
    if (!tp->count || !tp->runs || !tp->dec) {
        taps_free(tp);
        return 0;
    }
    for (int i = 0; i < nin; i++)
        tp->dec[i] = hwc ? ((i % g->Cin) << 20) | (i / g->Cin) : ((i / hw) << 20) | (i % hw);
    for (int yi = 0; yi < g->H; yi++)
        for (int xi = 0; xi < g->W; xi++) {
            const int pos = yi * g->W + xi;
            int32_t *rn = tp->runs + (size_t)pos * kk * 3;
            int n = 0;
            for (int ky = 0; ky < K; ky++) {
                const int ny = yi + g->pad - ky;
                if (ny < 0 || ny % g->stride || ny / g->stride >= g->Ho) continue;
                const int yo = ny / g->stride;
                int open = 0; /* a stride-1 run being extended */
                for (int kr = 0; kr < K; kr++) { /* kr = K - 1 - kx: outputs in increasing xo */
                    const int nx = xi + g->pad - (K - 1 - kr);
                    if (nx < 0 || nx % g->stride || nx / g->stride >= g->Wo) {
                        open = 0;
                        continue;
                    }
                    const int xo = nx / g->stride;
                    if (open && g->stride == 1) {
                        rn[3 * (n - 1) + 2] += 1;
                        continue;
                    }
                    rn[3 * n] = (ky * K + kr) * C;
                    rn[3 * n + 1] = (yo * g->Wo + xo) * C;
                    rn[3 * n + 2] = 1;
                    n++;
                    open = 1;
                }
            }
            tp->count[pos] = n;
        }
    return 1;
}

/* The set entries of one input map x[0..n), decoded through dec; -1 if some entry is neither 0 nor 1. */
static int active_inputs(const float *restrict x, int n, const int32_t *restrict dec, int32_t *restrict idx) {
    int k = 0, i = 0;
#if defined(__AVX512F__)
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        __mmask16 set = _mm512_cmp_ps_mask(v, zero, _CMP_NEQ_UQ);
        if (!set) continue;
        if (_mm512_mask_cmp_ps_mask(set, v, one, _CMP_NEQ_UQ)) return -1;
        while (set) {
            const int j = __builtin_ctz(set);
            idx[k++] = dec[i + j];
            set &= set - 1;
        }
    }
#endif
    int bad = 0;
    for (; i < n; i++) {
        const float v = x[i];
        idx[k] = dec[i];
        k += v != 0.0f;
        bad |= (v != 0.0f) & (v != 1.0f);
    }
    return bad ? -1 : k;
}

/* active_inputs for maps of uint8 spikes (the position-major output of a previous DCLL layer). */
static int active_inputs_u8(const uint8_t *restrict x, int n, const int32_t *restrict dec, int32_t *restrict idx) {
    int k = 0, i = 0;
#if defined(__AVX512BW__)
    const __m512i one = _mm512_set1_epi8(1);
    for (; i + 64 <= n; i += 64) {
        const __m512i v = _mm512_loadu_si512((const void *)(x + i));
        uint64_t set = _mm512_test_epi8_mask(v, v);
        if (!set) continue;
        if (_mm512_cmpgt_epu8_mask(v, one)) return -1;
        while (set) {
            const int j = __builtin_ctzll(set);
            idx[k++] = dec[i + j];
            set &= set - 1;
        }
    }
#endif
    int bad = 0;
    for (; i < n; i++) {
        idx[k] = dec[i];
        k += x[i] != 0;
        bad |= x[i] > 1;
    }
    return bad ? -1 : k;
}

/* dst[0 .. n C) += src[0 .. n C): n taps of C values. Where C is a multiple of 8 the adds are 8-lane vectors
 * on the tap grid (the same offsets for every input), so a value that the previous input's tap stored is
 * reloaded from the same vector and forwarded from the store; wider vectors straddling two taps would
 * wait for the stores to reach the cache instead (adjacent inputs' runs are one tap apart). */
typedef float f32x8 __attribute__((vector_size(32), aligned(4)));
typedef int32_t i32x8 __attribute__((vector_size(32), aligned(4)));

#define DEFINE_RUN_ADD(NAME, T, VT)                                                                          \
    static inline void NAME(T *restrict dst, const T *restrict src, int n, int C) {                          \
        if ((C & 7) == 0) {                                                                                  \
            VT *d = (VT *)dst;                                                                               \
            const VT *s = (const VT *)src;                                                                   \
            for (int m = 0; m < n * (C >> 3); m++) d[m] += s[m];                                             \
        } else {                                                                                             \
            for (int l = 0; l < n * C; l++) dst[l] += src[l];                                                \
        }                                                                                                    \
    }

DEFINE_RUN_ADD(run_add_f32, float, f32x8)
DEFINE_RUN_ADD(run_add_i32, int32_t, i32x8)

static inline void run_add_i64(int64_t *restrict dst, const int32_t *restrict src, int n, int C) {
    for (int l = 0; l < n * C; l++) dst[l] += src[l];
}

/* cur[run] += wt[run] for every run of each set input (the current). */
#define DEFINE_SCATTER(NAME, T_DST, T_SRC, ADD)                                                              \
    static void NAME(const Taps *tp, const T_SRC *restrict wt, const int32_t *restrict idx, int na, int kkc, \
                     int C, T_DST *restrict cur) {                                                           \
        for (int a = 0; a < na; a++) {                                                                      \
            const int ci = idx[a] >> 20, pos = idx[a] & 0xFFFFF;                                            \
            const int32_t *rn = tp->runs + (size_t)pos * tp->kk * 3;                                        \
            const T_SRC *wc = wt + (size_t)ci * kkc;                                                        \
            for (int j = 0; j < tp->count[pos]; j++) ADD(cur + rn[3 * j + 1], wc + rn[3 * j], rn[3 * j + 2], C); \
        }                                                                                                   \
    }

DEFINE_SCATTER(scatter_f32, float, float, run_add_f32)
DEFINE_SCATTER(scatter_i32, int32_t, int32_t, run_add_i32)
DEFINE_SCATTER(scatter_i64, int64_t, int32_t, run_add_i64)

/* gw[run] += grad[run] for every run of each set input (the weight gradient, in the reversed-kx layout). */
static void gather_grad(const Taps *tp, const float *restrict grad, const int32_t *restrict idx, int na, int kkc,
                        int C, float *restrict gw) {
    for (int a = 0; a < na; a++) {
        const int ci = idx[a] >> 20, pos = idx[a] & 0xFFFFF;
        const int32_t *rn = tp->runs + (size_t)pos * tp->kk * 3;
        float *gc = gw + (size_t)ci * kkc;
        for (int j = 0; j < tp->count[pos]; j++) run_add_f32(gc + rn[3 * j], grad + rn[3 * j + 1], rn[3 * j + 2], C);
    }
}

/* The weight gradient for stride 1 and Cout a multiple of 8, without stores in the inner loop: the
 * adjoint V is copied into a zero-bordered map Vp (Hp x Wp x C) in which every tap of every input lands
 * (a tap off the map reads 0), so an input's K taps of kernel row ky are K C contiguous values at a fixed
 * offset from its position. For each input channel and kernel row, the sum over that channel's set inputs
 * of those K C values is kept in L = K C / 8 vector registers and added to gw once. */
typedef struct {
    int ylo, xlo, Hp, Wp;
    int32_t *off0; /* [H W]: offset in Vp of an input's tap (ky = 0, kr = 0) */
} Padded;

static int padded_build(const Geometry *g, Padded *pd) {
    const int K = g->K, pad = g->pad;
    const int ylo = pad - (K - 1) < 0 ? pad - (K - 1) : 0, xlo = ylo;
    const int yhi = g->H - 1 + pad > g->Ho - 1 ? g->H - 1 + pad : g->Ho - 1;
    const int xhi = g->W - 1 + pad > g->Wo - 1 ? g->W - 1 + pad : g->Wo - 1;
    pd->ylo = ylo;
    pd->xlo = xlo;
    pd->Hp = yhi - ylo + 1;
    pd->Wp = xhi - xlo + 1;
    pd->off0 = malloc(sizeof(int32_t) * (size_t)g->H * g->W);
    if (!pd->off0) return 0;
    for (int yi = 0; yi < g->H; yi++)
        for (int xi = 0; xi < g->W; xi++)
            pd->off0[yi * g->W + xi] = ((yi + pad - ylo) * pd->Wp + (xi + pad - (K - 1) - xlo)) * g->Cout;
    return 1;
}

/* acc[0..L) = sum over the inputs of the L vectors at Vp + offs[j] - row; gw_row[0 .. 8 L) += acc. */
#define DEFINE_ROW_GATHER(L)                                                                                  \
    static void row_gather_##L(const float *vp, const int32_t *restrict offs, int n, int row, float *gw_row) {  \
        f32x8 acc[L];                                                                                        \
        for (int m = 0; m < L; m++) acc[m] = (f32x8){0};                                                    \
        for (int j = 0; j < n; j++) {                                                                        \
            const f32x8 *src = (const f32x8 *)(vp + offs[j] - row);                                          \
            for (int m = 0; m < L; m++) acc[m] += src[m];                                                   \
        }                                                                                                    \
        f32x8 *dst = (f32x8 *)gw_row;                                                                        \
        for (int m = 0; m < L; m++) dst[m] += acc[m];                                                       \
    }

DEFINE_ROW_GATHER(1)
DEFINE_ROW_GATHER(2)
DEFINE_ROW_GATHER(3)
DEFINE_ROW_GATHER(4)
DEFINE_ROW_GATHER(5)
DEFINE_ROW_GATHER(6)
DEFINE_ROW_GATHER(7)
DEFINE_ROW_GATHER(8)
DEFINE_ROW_GATHER(10)
DEFINE_ROW_GATHER(14)

static void row_gather_any(const float *vp, const int32_t *restrict offs, int n, int row, float *gw_row, int L) {
    for (int j = 0; j < n; j++) {
        const f32x8 *src = (const f32x8 *)(vp + offs[j] - row);
        f32x8 *dst = (f32x8 *)gw_row;
        for (int m = 0; m < L; m++) dst[m] += src[m];
    }
}

static void row_gather(const float *vp, const int32_t *offs, int n, int row, float *gw_row, int L) {
    switch (L) {
    case 1: row_gather_1(vp, offs, n, row, gw_row); break;
    case 2: row_gather_2(vp, offs, n, row, gw_row); break;
    case 3: row_gather_3(vp, offs, n, row, gw_row); break;
    case 4: row_gather_4(vp, offs, n, row, gw_row); break;
    case 5: row_gather_5(vp, offs, n, row, gw_row); break;
    case 6: row_gather_6(vp, offs, n, row, gw_row); break;
    case 7: row_gather_7(vp, offs, n, row, gw_row); break;
    case 8: row_gather_8(vp, offs, n, row, gw_row); break;
    case 10: row_gather_10(vp, offs, n, row, gw_row); break;
    case 14: row_gather_14(vp, offs, n, row, gw_row); break;
    default: row_gather_any(vp, offs, n, row, gw_row, L);
    }
}

/* gw += the weight gradient of one map: V [Ho][Wo][C] copied into vp (borders stay 0), the set inputs
 * idx[0..na) grouped by channel (counting sort into offs) and summed row by row. */
static void gather_grad_padded(const Geometry *g, const Padded *pd, const float *v, const int32_t *idx, int na,
                               float *vp, int32_t *count, int32_t *offs, float *gw) {
    const int C = g->Cout, K = g->K, L = K * C / 8;
    for (int y = 0; y < g->Ho; y++)
        memcpy(vp + ((size_t)(y - pd->ylo) * pd->Wp - pd->xlo) * C, v + (size_t)y * g->Wo * C,
               sizeof(float) * (size_t)g->Wo * C);
    memset(count, 0, sizeof(int32_t) * (size_t)(g->Cin + 1));
    for (int a = 0; a < na; a++) count[(idx[a] >> 20) + 1]++;
    for (int c = 0; c < g->Cin; c++) count[c + 1] += count[c];
    for (int a = 0; a < na; a++) offs[count[idx[a] >> 20]++] = pd->off0[idx[a] & 0xFFFFF];
    /* count[c] is now the end of channel c's inputs in offs */
    for (int ci = 0, begin = 0; ci < g->Cin; begin = count[ci], ci++) {
        const int n = count[ci] - begin;
        if (!n) continue;
        for (int ky = 0; ky < K; ky++)
            row_gather(vp, offs + begin, n, ky * pd->Wp * C, gw + ((size_t)ci * K + ky) * K * C, L);
    }
}

/* A position-major map src[P][C] written out channel-major, dst[C][P]. */
#define DEFINE_TO_CHW(NAME, T_DST, T_SRC)                                                                    \
    static void NAME(const T_SRC *restrict src, int P, int C, T_DST *restrict dst) {                       \
        for (int c = 0; c < C; c++)                                                                          \
            for (int pos = 0; pos < P; pos++) dst[(size_t)c * P + pos] = (T_DST)src[(size_t)pos * C + c];     \
    }

DEFINE_TO_CHW(to_chw_u8, uint8_t, uint8_t)
DEFINE_TO_CHW(to_chw_u8f32, float, uint8_t)

/* A channel-major map dst[C][P] of zeros with a 1 at each spike of on[0..ns) (position-major indices pos C + c):
 * sparse spikes written out without a pass over the whole map. */
#define DEFINE_CHW_ONES(NAME, T)                                                                             \
    static void NAME(T *restrict dst, const int32_t *restrict on, int ns, int C, int P) {                   \
        memset(dst, 0, sizeof(T) * (size_t)C * P);                                                           \
        for (int j = 0; j < ns; j++) dst[(size_t)(on[j] % C) * P + on[j] / C] = (T)1;                        \
    }

DEFINE_CHW_ONES(chw_ones_u8, uint8_t)
DEFINE_CHW_ONES(chw_ones_f32, float)

/* The per-timestep neuron loops, each in its own function with restrict arguments so that the compiler
 * vectorises them (it does not through pointers carved out of one local buffer). */

/* One training timestep of the neurons, in one pass over them: R = gamma R - rho s(t-1) (refr, t > 0);
 * P = Q + alpha P; Q = I scale + beta Q; z = P + R; s = z >= thr; the spikes also as uint8 into out (unless
 * NULL) and, from the burn-in on (sg not NULL), the surrogate derivative 1 / (1 + slope |z - thr|)^2 into sg.
 * Inlined with constant flags, so each use is one vectorised loop. */
static inline __attribute__((always_inline)) void
membrane_f32(int N, int refr, float *restrict p, float *restrict q, const float *restrict cur,
             const float *restrict sc, float *restrict r, float *restrict s, uint8_t *restrict out,
             float *restrict sg, float alpha, float beta, float gamma, float rho, float thr, float slope) {
    for (int n = 0; n < N; n++) {
        if (refr) r[n] = r[n] * gamma - rho * s[n];
        p[n] = q[n] + alpha * p[n];
        q[n] = cur[n] * sc[n] + beta * q[n];
        const float z = p[n] + r[n];
        s[n] = z >= thr ? 1.0f : 0.0f;
        if (out) out[n] = (uint8_t)(z >= thr);
        if (sg) {
            const float zz = z - thr, d = (zz < 0 ? -zz : zz) * slope + 1.0f;
            sg[n] = 1.0f / (d * d);
        }
    }
}

/* The local readout transposed and padded, gt [N][V 8] (class k of neuron n at gt[n V 8 + k], 0 past NC): the
 * local scores sc[k] = sum over the neurons that spiked of gk[k][n] are then V 8-lane adds per spike, where
 * the dense dot product over all N neurons would take NC N / 8. */
static float *readout_transposed(const float *gk, int NC, int N, int V) {
    float *gt = calloc((size_t)N * V * 8, sizeof(float));
    if (gt)
        for (int k = 0; k < NC; k++)
            for (int n = 0; n < N; n++) gt[(size_t)n * V * 8 + k] = gk[(size_t)k * N + n];
    return gt;
}

/* The positions n of the set entries of the spikes s[0..N) (0 or 1) into on[]; returns their number. */
static int spiking(const float *restrict s, int N, int32_t *restrict on) {
    int k = 0, n = 0;
#if defined(__AVX512F__)
    for (; n + 16 <= N; n += 16) {
        __mmask16 set = _mm512_cmp_ps_mask(_mm512_loadu_ps(s + n), _mm512_setzero_ps(), _CMP_NEQ_UQ);
        while (set) {
            on[k++] = n + __builtin_ctz(set);
            set &= set - 1;
        }
    }
#endif
    for (; n < N; n++) {
        on[k] = n;
        k += s[n] != 0.0f;
    }
    return k;
}

/* sc[0..NC) = sum over the spikes on[0..ns) of their rows of gt (readout_transposed), in the order of on[]. */
#define DEFINE_SCORES(V)                                                                                     \
    static void scores_##V(const float *gt, const int32_t *restrict on, int ns, int NC, float *restrict sc) { \
        f32x8 acc[V];                                                                                        \
        for (int m = 0; m < V; m++) acc[m] = (f32x8){0};                                                    \
        for (int j = 0; j < ns; j++) {                                                                       \
            const f32x8 *row = (const f32x8 *)(gt + (size_t)on[j] * (V * 8));                               \
            for (int m = 0; m < V; m++) acc[m] += row[m];                                                   \
        }                                                                                                    \
        const float *all = (const float *)acc;                                                               \
        for (int k = 0; k < NC; k++) sc[k] = all[k];                                                         \
    }

DEFINE_SCORES(1)
DEFINE_SCORES(2)
DEFINE_SCORES(3)
DEFINE_SCORES(4)

static void scores_any(const float *gt, const int32_t *restrict on, int ns, int NC, int V, float *restrict sc) {
    for (int k = 0; k < NC; k++) sc[k] = 0.0f;
    for (int j = 0; j < ns; j++) {
        const float *restrict row = gt + (size_t)on[j] * V * 8;
        for (int k = 0; k < NC; k++) sc[k] += row[k];
    }
}

static void local_scores(const float *gt, const int32_t *on, int ns, int NC, int V, float *sc) {
    switch (V) {
    case 1: scores_1(gt, on, ns, NC, sc); break;
    case 2: scores_2(gt, on, ns, NC, sc); break;
    case 3: scores_3(gt, on, ns, NC, sc); break;
    case 4: scores_4(gt, on, ns, NC, sc); break;
    default: scores_any(gt, on, ns, NC, V, sc);
    }
}

/* One step of the filter's adjoint backwards in time, V = Q + alpha V, Q = dU + beta Q, with
 * dU = sig * (gs @ G) (gs NULL: dU = 0, a burn-in timestep). */
static void adjoint_f32(int N, int NC, const float *restrict gs, const float *restrict gk, const float *restrict sg,
                        float *restrict du, float *restrict v, float *restrict q, float alpha, float beta) {
    if (gs) {
        for (int n = 0; n < N; n++) du[n] = 0.0f;
        for (int k = 0; k < NC; k++) {
            const float c = gs[k];
            const float *restrict row = gk + (size_t)k * N;
            for (int n = 0; n < N; n++) du[n] += c * row[n];
        }
        for (int n = 0; n < N; n++) {
            v[n] = q[n] + alpha * v[n];
            q[n] = du[n] * sg[n] + beta * q[n];
        }
    } else {
        for (int n = 0; n < N; n++) {
            v[n] = q[n] + alpha * v[n];
            q[n] = beta * q[n];
        }
    }
}

/* Everything one call of an exported kernel works on; samples [b0, b1) of it go to one thread. */
typedef struct {
    Geometry g;
    const void *x;
    int x_u8;         /* the input maps are uint8 spikes (else float 0/1) */
    int hwc;     /* input maps position-major */
    int hwc_out; /* outputs position-major uint8; training also takes 2: channel-major uint8 (0: channel-major float) */
    /* training */
    const float *wt, *scale, *gk;
    const int32_t *labels;
    int NC, start;
    float alpha, beta, gamma, rho, thr, slope;
    void *spikes;
    float *scores;
    double *loss;
    /* integer */
    const int32_t *wti;
    const int64_t *theta;
    int bits, kq, kp, kr, frac;
    int64_t rho_i;
    uint8_t *spikes_u8;
    float *spikes_f32; /* the same spikes as 0/1 floats (what the next layer reads), or NULL */
    int64_t *u_final, *sats, *peaks;
} Args;

typedef int (*RangeFn)(const Args *a, const Taps *tp, int b0, int b1, float *gw);

/* The set inputs of input map number ``map`` (t B + b). */
static int map_inputs(const Args *a, size_t map, int nin, const Taps *tp, int32_t *idx) {
    return a->x_u8 ? active_inputs_u8((const uint8_t *)a->x + map * nin, nin, tp->dec, idx)
                   : active_inputs((const float *)a->x + map * nin, nin, tp->dec, idx);
}

#define MAX_THREADS 64

/* One share of a split run: items [lo, hi) of ctx, and its own weight gradient where there is one. */
typedef int (*WorkFn)(const void *ctx, int lo, int hi, float *gw);

typedef struct {
    WorkFn fn;
    const void *ctx;
    int lo, hi, rc;
    float *gw;
} Part;

static void *part_main(void *arg) {
    Part *pt = arg;
    pt->rc = pt->fn(pt->ctx, pt->lo, pt->hi, pt->gw);
    return NULL;
}

/* Run fn over ``items`` split into ``nthreads`` contiguous ranges, one thread each. With gw_out, every range
 * accumulates its own weight gradient of gw_len values, added into gw_out in range order afterwards (the
 * same order, so the same float sums, for a given thread count). */
static int run_split(WorkFn fn, const void *ctx, int items, int nthreads, float *gw_out, size_t gw_len) {
    int n = nthreads < 1 ? 1 : (nthreads > MAX_THREADS ? MAX_THREADS : nthreads);
    if (n > items) n = items > 0 ? items : 1;
    Part parts[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    int started[MAX_THREADS] = {0}, rc = 0;
    for (int i = 0; i < n; i++) {
        parts[i] = (Part){fn, ctx, (int)((int64_t)items * i / n), (int)((int64_t)items * (i + 1) / n), 0, NULL};
        if (gw_out && i > 0) {
            parts[i].gw = calloc(gw_len, sizeof(float));
            if (!parts[i].gw) rc = 2;
        }
    }
    parts[0].gw = gw_out;
    if (!rc) {
        for (int i = 1; i < n; i++) started[i] = pthread_create(&th[i], NULL, part_main, &parts[i]) == 0;
        part_main(&parts[0]);
        for (int i = 1; i < n; i++) {
            if (started[i])
                pthread_join(th[i], NULL);
            else
                part_main(&parts[i]); /* no thread to be had: run the range here */
        }
        for (int i = 0; i < n; i++) rc = parts[i].rc > rc ? parts[i].rc : rc;
        if (gw_out && !rc)
            for (int i = 1; i < n; i++)
                for (size_t l = 0; l < gw_len; l++) gw_out[l] += parts[i].gw[l];
    }
    for (int i = 1; i < n; i++) free(parts[i].gw);
    return rc;
}

/* A layer kernel's share: its range function over samples [b0, b1) with the shared taps. */
typedef struct {
    RangeFn fn;
    const Args *a;
    const Taps *tp;
} LayerWork;

static int layer_work(const void *ctx, int b0, int b1, float *gw) {
    const LayerWork *lw = ctx;
    return lw->fn(lw->a, lw->tp, b0, b1, gw);
}

/* Run a layer kernel's range function over the batch's samples (run_split), with the taps built once. */
static int run_parts(RangeFn fn, const Args *a, int hwc, int nthreads, float *gw_out, size_t gw_len) {
    Taps tp;
    if (!taps_build(&a->g, hwc, &tp)) return 2;
    const LayerWork lw = {fn, a, &tp};
    const int rc = run_split(layer_work, &lw, a->g.B, nthreads, gw_out, gw_len);
    taps_free(&tp);
    return rc;
}

/* A training thread's buffers: the neuron state, the local readout transposed, and one sample's surrogate
 * derivatives and score gradients (kept in cache between its forward and backward pass). */
typedef struct {
    float *cur, *q, *p, *r, *scale, *s, *gt, *sig, *gs, *du, *v, *vp;
    int32_t *idx, *on, *offs, *count;
    Padded pd;
    int padded, V;
} TrainWork;

static void train_work_free(TrainWork *w) {
    free(w->cur);
    free(w->gt);
    free(w->sig);
    free(w->idx);
    free(w->pd.off0);
}

static int train_work_alloc(const Args *a, TrainWork *w) {
    const Geometry *g = &a->g;
    const size_t N = (size_t)g->Ho * g->Wo * g->Cout, nin = (size_t)g->Cin * g->H * g->W, late = g->T - a->start;
    memset(w, 0, sizeof(*w));
    w->padded = g->stride == 1 && g->Cout % 8 == 0;
    w->V = (a->NC + 7) / 8;
    if (w->padded && !padded_build(g, &w->pd)) return 0;
    const size_t np = w->padded ? (size_t)w->pd.Hp * w->pd.Wp * g->Cout : 0;
    w->cur = malloc(sizeof(float) * (8 * N + np));
    w->gt = readout_transposed(a->gk, a->NC, (int)N, w->V);
    w->sig = malloc(sizeof(float) * (late * N + late * a->NC));
    w->idx = malloc(sizeof(int32_t) * (2 * nin + N + g->Cin + 1)); /* idx [nin], on [N], offs [nin], count */
    if (!w->cur || !w->gt || !w->sig || !w->idx) {
        train_work_free(w);
        return 0;
    }
    w->q = w->cur + N;
    w->p = w->cur + 2 * N;
    w->r = w->cur + 3 * N;
    w->scale = w->cur + 4 * N;
    w->s = w->cur + 5 * N;
    w->du = w->cur + 6 * N;
    w->v = w->cur + 7 * N;
    w->vp = w->cur + 8 * N;
    w->gs = w->sig + late * N;
    w->on = w->idx + nin;
    w->offs = w->on + N;
    w->count = w->offs + nin;
    for (int pos = 0; pos < g->Ho * g->Wo; pos++)
        for (int c = 0; c < g->Cout; c++) w->scale[pos * g->Cout + c] = a->scale[c];
    if (w->padded) memset(w->vp, 0, sizeof(float) * np);
    return 1;
}

/* The forward pass of sample b: spikes and local scores out, the surrogate derivatives into w->sig. */
static int train_forward_sample(const Args *a, const Taps *tp, TrainWork *w, int b) {
    const Geometry *g = &a->g;
    const int N = g->Ho * g->Wo * g->Cout, nin = g->Cin * g->H * g->W, kkc = g->K * g->K * g->Cout, B = g->B;
    const int P = g->Ho * g->Wo;
    const float al = a->alpha, be = a->beta, ga = a->gamma, rh = a->rho, th = a->thr, sl = a->slope;
    float *cur = w->cur, *q = w->q, *p = w->p, *r = w->r, *sc_n = w->scale, *s = w->s;
    const size_t nz = (size_t)g->Ho * g->Wo * g->Cout; /* N, unsigned for the sizes */
    memset(q, 0, sizeof(float) * 3 * nz); /* q, p, r */
    for (int t = 0; t < g->T; t++) {
        const int na = map_inputs(a, (size_t)t * B + b, nin, tp, w->idx);
        if (na < 0) return 1;
        memset(cur, 0, sizeof(float) * nz);
        scatter_f32(tp, a->wt, w->idx, na, kkc, g->Cout, cur);
        /* s holds s(t-1) on entry: the refractory step reads it */
        uint8_t *out = a->hwc_out == 1 ? (uint8_t *)a->spikes + ((size_t)t * B + b) * N : NULL;
        int ns = -1; /* the spikes, counted into on[] where they are needed */
        if (t < a->start) { /* burn-in: no local loss */
            if (out)
                membrane_f32(N, t > 0, p, q, cur, sc_n, r, s, out, NULL, al, be, ga, rh, th, sl);
            else
                membrane_f32(N, t > 0, p, q, cur, sc_n, r, s, NULL, NULL, al, be, ga, rh, th, sl);
        } else {
            float *sg = w->sig + (size_t)(t - a->start) * N;
            if (out)
                membrane_f32(N, 1, p, q, cur, sc_n, r, s, out, sg, al, be, ga, rh, th, sl);
            else
                membrane_f32(N, 1, p, q, cur, sc_n, r, s, NULL, sg, al, be, ga, rh, th, sl);
            ns = spiking(s, N, w->on);
            local_scores(w->gt, w->on, ns, a->NC, w->V, a->scores + ((size_t)(t - a->start) * B + b) * a->NC);
        }
        if (!out) { /* channel-major: zeros, then a 1 at each spike */
            if (ns < 0) ns = spiking(s, N, w->on);
            const size_t map = ((size_t)t * B + b) * nz;
            if (a->hwc_out == 2)
                chw_ones_u8((uint8_t *)a->spikes + map, w->on, ns, g->Cout, P);
            else
                chw_ones_f32((float *)a->spikes + map, w->on, ns, g->Cout, P);
        }
    }
    return 0;
}

/* The local loss of sample b, sum over t >= start of the cross-entropy of its scores against its label
 * (returned), and its gradient times ``weight`` into w->gs [T - start][NC]. */
static double local_cross_entropy(const Args *a, TrainWork *w, int b, float weight) {
    const int late = a->g.T - a->start, NC = a->NC, y = a->labels[b];
    double total = 0.0;
    for (int t = 0; t < late; t++) {
        const float *sc = a->scores + ((size_t)t * a->g.B + b) * NC;
        float *gs = w->gs + (size_t)t * NC;
        float m = sc[0];
        for (int k = 1; k < NC; k++) m = sc[k] > m ? sc[k] : m;
        double sum = 0.0;
        for (int k = 0; k < NC; k++) sum += exp((double)sc[k] - m);
        total += (double)m + log(sum) - sc[y];
        for (int k = 0; k < NC; k++) gs[k] = (float)((exp((double)sc[k] - m) / sum - (k == y)) * weight);
    }
    return total;
}

/* The backward pass of sample b: the filter's adjoint of dU(t) = sig(t) * (gs(t) @ G), backwards in time, and
 * its weight gradient, accumulated into gw. */
static int train_backward_sample(const Args *a, const Taps *tp, TrainWork *w, int b, float *gw) {
    const Geometry *g = &a->g;
    const int N = g->Ho * g->Wo * g->Cout, nin = g->Cin * g->H * g->W, kkc = g->K * g->K * g->Cout, B = g->B;
    memset(w->q, 0, sizeof(float) * (size_t)N);
    memset(w->v, 0, sizeof(float) * (size_t)N);
    for (int t = g->T - 1; t >= 0; t--) {
        if (t >= a->start) {
            const size_t row = (size_t)(t - a->start);
            adjoint_f32(N, a->NC, w->gs + row * a->NC, a->gk, w->sig + row * N, w->du, w->v, w->q, a->alpha, a->beta);
        } else {
            adjoint_f32(N, a->NC, NULL, a->gk, NULL, w->du, w->v, w->q, a->alpha, a->beta);
        }
        const int na = map_inputs(a, (size_t)t * B + b, nin, tp, w->idx);
        if (na < 0) return 1;
        if (w->padded)
            gather_grad_padded(g, &w->pd, w->v, w->idx, na, w->vp, w->count, w->offs, gw);
        else
            gather_grad(tp, w->v, w->idx, na, kkc, g->Cout, gw);
    }
    return 0;
}

static int train_range(const Args *a, const Taps *tp, int b0, int b1, float *gw) {
    TrainWork w;
    if (!train_work_alloc(a, &w)) return 2;
    const float weight = 1.0f / ((float)(a->g.T - a->start) * (float)a->g.B); /* the mean over (t, sample) */
    int rc = 0;
    for (int b = b0; b < b1 && !rc; b++) {
        rc = train_forward_sample(a, tp, &w, b);
        if (rc) break;
        a->loss[b] = local_cross_entropy(a, &w, b, weight);
        rc = train_backward_sample(a, tp, &w, b, gw);
    }
    train_work_free(&w);
    return rc;
}

/* One training step of a DCLL conv layer with local learning (DECOLLE, filter after the weights), forward
 * and weight gradient in one pass per sample:
 *   I(t) = scale * conv(S_in(t), W_int)                    (exact integer sums in float32)
 *   P(t) = Q(t-1) + alpha P(t-1),  Q(t) = I(t) + beta Q(t-1),  U(t) = P(t)
 *   R(t) = gamma R(t-1) - rho s(t-1),  z = U + R,  s(t) = z >= thr
 *   scores(t) = G s(t),  loss = mean over t >= start and the samples of cross-entropy(scores(t), label)
 * and, with gs(t) = d loss / d scores(t) and dU(t) = (1 / (1 + slope |z - thr|)^2) * (gs(t) @ G) for
 * t >= start (0 before), the filter's adjoint V = H^T dU (the same recurrence backwards in time) and
 *   d loss / d W_q[co][ci][ky][kx] = sum_t sum_(set inputs) V(t) at the outputs they reach,
 * which equals the dense form conv_weight_grad(H S_in, dU).
 * x [T][B] maps of 0/1 ([Cin][H][W], or [H][W][Cin] with hwc), wt [Cin][K][K][Cout] integer weights (kx
 * reversed, see Taps), scale [Cout], gk [NC][N] the local readout (N position-major), labels [B] in [0, NC);
 * x_u8: the maps are uint8. Writes the spikes as uint8 [T][B][Ho][Wo][Cout] with hwc_out 1 (for a next DCLL
 * layer), else channel-major [T][B][Cout][Ho][Wo] as uint8 (hwc_out 2) or float (0), the local scores [T-start][B][NC], each sample's summed
 * cross-entropy loss[B] (the loss is their sum over (T - start) B), and adds the weight gradient into gw
 * [Cin][K][K][Cout] (the weights' layout). Samples are split over ``nthreads`` threads. */
int dcll_train(const void *x, int x_u8, int T, int B, int Cin, int H, int W, int hwc, int hwc_out, const float *wt,
               const float *scale, int Cout, int Ho, int Wo, int K, int stride, int pad, const float *gk, int NC,
               const int32_t *labels, float alpha, float beta, float gamma, float rho, float thr, float slope,
               int start, void *spikes, float *scores, double *loss, float *gw, int nthreads) {
    const Args a = {.g = {T, B, Cin, H, W, Cout, Ho, Wo, K, stride, pad}, .x = x, .x_u8 = x_u8, .hwc = hwc,
                    .hwc_out = hwc_out, .wt = wt, .scale = scale, .gk = gk, .labels = labels, .NC = NC,
                    .start = start, .alpha = alpha, .beta = beta, .gamma = gamma, .rho = rho, .thr = thr,
                    .slope = slope, .spikes = spikes, .scores = scores, .loss = loss};
    return run_parts(train_range, &a, hwc, nthreads, gw, (size_t)Cin * K * K * Cout);
}

/* One integer timestep of the DCLL neurons (see dcll_int_forward) in the state type TS; adds the clamps
 * to *nsat and raises *peak to the largest |value| before a clamp. The int32 copy runs only where the
 * caller proved that no unclamped value reaches 2^30. */
#define DEFINE_NEURON_STEP(NAME, TS)                                                                          \
    static void NAME(int N, TS *restrict q, TS *restrict p, TS *restrict r, TS *restrict u, uint8_t *restrict s,   \
                     const TS *restrict cur, const TS *restrict th, int kq, int kp, int kr, TS rho, TS one, TS lo,  \
                     TS hi, int64_t *nsat, int64_t *peak) {                                                  \
        TS ns = 0, pk = 0;                                                                                   \
        for (int n = 0; n < N; n++) {                                                                        \
            const TS qn = q[n] - (q[n] >> kq) + cur[n] * one;                                                \
            const TS pn = p[n] - (p[n] >> kp) + q[n];                                                        \
            const TS rn = r[n] - (r[n] >> kr) - rho * (TS)s[n];                                              \
            const TS qc = qn < lo ? lo : (qn > hi ? hi : qn);                                                \
            const TS pc = pn < lo ? lo : (pn > hi ? hi : pn);                                                \
            const TS rc = rn < lo ? lo : (rn > hi ? hi : rn);                                                \
            const TS un = pc + rc;                                                                           \
            const TS uc = un < lo ? lo : (un > hi ? hi : un);                                                \
            ns += (TS)(qn != qc) + (TS)(pn != pc) + (TS)(rn != rc) + (TS)(un != uc);                         \
            const TS aq = qn < 0 ? -qn : qn, ap = pn < 0 ? -pn : pn, ar = rn < 0 ? -rn : rn;                 \
            const TS au = un < 0 ? -un : un;                                                                 \
            const TS m1 = aq > ap ? aq : ap, m2 = ar > au ? ar : au, m = m1 > m2 ? m1 : m2;                  \
            pk = m > pk ? m : pk;                                                                            \
            q[n] = qc;                                                                                       \
            p[n] = pc;                                                                                       \
            r[n] = rc;                                                                                       \
            u[n] = uc;                                                                                       \
            s[n] = uc >= th[n];                                                                              \
        }                                                                                                    \
        *nsat += ns;                                                                                         \
        if (pk > *peak) *peak = pk;                                                                          \
    }

DEFINE_NEURON_STEP(neuron_step_i32, int32_t)
DEFINE_NEURON_STEP(neuron_step_i64, int64_t)

/* The integer DCLL layer of snn2fpga/semantics/dcll.py on binary input maps, per timestep and neuron:
 *   I = conv(S_in, W_int);  Q' = sat(Q - (Q >> kq) + I 2^f);  P' = sat(P - (P >> kp) + Q);
 *   R' = sat(R - (R >> kr) - rho S);  U = sat(P' + R');  S' = U >= theta[c]
 * (>> arithmetic; every clamp counted; the peak is the largest |value| before a clamp). wt [Cin][K][K][Cout]
 * int32 (kx reversed), theta [Cout]. Writes spikes [T][B][Ho][Wo][Cout] (uint8, and as floats into spikes_f32
 * unless it is NULL), the final U
 * [B][Ho][Wo][Cout] (both channel-major without hwc_out) and per sample the saturation count and the peak. */
#define DEFINE_INT_FORWARD(NAME, TS, SCATTER, STEP)                                                          \
    static int NAME##_range(const Args *a, const Taps *tp, int b0, int b1, float *unused) {                  \
        (void)unused;                                                                                        \
        const Geometry *g = &a->g;                                                                           \
        const int N = g->Ho * g->Wo * g->Cout, nin = g->Cin * g->H * g->W, kkc = g->K * g->K * g->Cout;      \
        const int B = g->B;                                                                                  \
        const TS lo = (TS)(-((int64_t)1 << (a->bits - 1))), hi = (TS)(((int64_t)1 << (a->bits - 1)) - 1);    \
        const TS one = (TS)((int64_t)1 << a->frac);                                                          \
        TS *buf = malloc(sizeof(TS) * 6 * (size_t)N + (size_t)N);                                            \
        int32_t *idx = malloc(sizeof(int32_t) * (size_t)nin);                                                \
        if (!buf || !idx) {                                                                                  \
            free(buf);                                                                                       \
            free(idx);                                                                                       \
            return 2;                                                                                        \
        }                                                                                                    \
        TS *cur = buf, *q = buf + N, *p = buf + 2 * (size_t)N, *r = buf + 3 * (size_t)N, *u = buf + 4 * (size_t)N, \
           *th = buf + 5 * (size_t)N;                                                                        \
        uint8_t *s_own = (uint8_t *)(buf + 6 * (size_t)N);                                                   \
        for (int pos = 0; pos < g->Ho * g->Wo; pos++)                                                        \
            for (int c = 0; c < g->Cout; c++) th[pos * g->Cout + c] = (TS)a->theta[c];                       \
        int rc = 0;                                                                                          \
        for (int b = b0; b < b1 && !rc; b++) {                                                               \
            memset(q, 0, sizeof(TS) * 4 * (size_t)N); /* q, p, r, u */                                       \
            int64_t nsat = 0, peak = 0;                                                                      \
            const uint8_t *s_prev = NULL;                                                                    \
            for (int t = 0; t < g->T; t++) {                                                                 \
                const int na = map_inputs(a, (size_t)t * B + b, nin, tp, idx);           \
                if (na < 0) {                                                                                \
                    rc = 1;                                                                                  \
                    break;                                                                                   \
                }                                                                                            \
                memset(cur, 0, sizeof(TS) * (size_t)N);                                                      \
                SCATTER(tp, a->wti, idx, na, kkc, g->Cout, cur);                                             \
                uint8_t *out = a->spikes_u8 + ((size_t)t * B + b) * N, *s = a->hwc_out ? out : s_own;        \
                if (!s_prev)                                                                                 \
                    memset(s, 0, (size_t)N);                                                                 \
                else if (s != s_prev)                                                                        \
                    memcpy(s, s_prev, (size_t)N);                                                            \
                STEP(N, q, p, r, u, s, cur, th, a->kq, a->kp, a->kr, (TS)a->rho_i, one, lo, hi, &nsat, &peak); \
                if (!a->hwc_out) to_chw_u8(s, g->Ho * g->Wo, g->Cout, out);                                  \
                if (a->spikes_f32) {                                                                         \
                    float *of = a->spikes_f32 + ((size_t)t * B + b) * N;                                     \
                    if (a->hwc_out)                                                                          \
                        for (int n = 0; n < N; n++) of[n] = (float)s[n];                                     \
                    else                                                                                     \
                        to_chw_u8f32(s, g->Ho * g->Wo, g->Cout, of);                                         \
                }                                                                                            \
                s_prev = s;                                                                                  \
            }                                                                                                \
            int64_t *uf = a->u_final + (size_t)b * N;                                                        \
            if (a->hwc_out)                                                                                  \
                for (int n = 0; n < N; n++) uf[n] = u[n];                                                    \
            else                                                                                             \
                for (int c = 0; c < g->Cout; c++)                                                            \
                    for (int pos = 0; pos < g->Ho * g->Wo; pos++)                                            \
                        uf[(size_t)c * g->Ho * g->Wo + pos] = u[(size_t)pos * g->Cout + c];                  \
            a->sats[b] = nsat;                                                                               \
            a->peaks[b] = peak;                                                                              \
        }                                                                                                    \
        free(buf);                                                                                           \
        free(idx);                                                                                           \
        return rc;                                                                                           \
    }                                                                                                        \
    int NAME(const void *x, int x_u8, int T, int B, int Cin, int H, int W, int hwc, int hwc_out, const int32_t *wt,  \
             int Cout,                                                                                       \
             int Ho, int Wo, int K, int stride, int pad, const int64_t *theta, int bits, int kq, int kp, int kr, int64_t rho, \
             int frac, uint8_t *spikes, float *spikes_f32, int64_t *u_final, int64_t *sats, int64_t *peaks,     \
             int nthreads) {                                                                                 \
        const Args a = {.g = {T, B, Cin, H, W, Cout, Ho, Wo, K, stride, pad}, .x = x, .x_u8 = x_u8, .hwc = hwc, \
                        .hwc_out = hwc_out, .wti = wt,                                                       \
                        .theta = theta, .bits = bits, .kq = kq, .kp = kp, .kr = kr, .rho_i = rho, .frac = frac, \
                        .spikes_u8 = spikes, .spikes_f32 = spikes_f32, .u_final = u_final, .sats = sats,       \
                        .peaks = peaks};                                                                     \
        return run_parts(NAME##_range, &a, hwc, nthreads, NULL, 0);                                          \
    }

DEFINE_INT_FORWARD(dcll_int_forward_i32, int32_t, scatter_i32, neuron_step_i32)
DEFINE_INT_FORWARD(dcll_int_forward_i64, int64_t, scatter_i64, neuron_step_i64)

/* A dense layer on binary spikes (the readout after the DCLL layers, trained in float):
 *   forward  out[m][k] = sum over the set x[m][n] of w[n][k]       (w [Nin][K], the weights transposed)
 *   backward gw[n][k] += sum over m with x[m][n] set of g[m][k]
 * Rows of x are split over threads; the backward sums each thread's gradient afterwards in thread
 * order. Return codes as above. */
typedef struct {
    const void *x; /* [M][Nin] float 0/1, or uint8 with x_u8 */
    const float *w, *g;
    float *out;
    int Nin, K, backward, x_u8;
} Linear;

static int linear_range(const void *ctx, int m0, int m1, float *gw) {
    const Linear *ln = ctx;
    int32_t *idx = malloc(sizeof(int32_t) * 2 * (size_t)ln->Nin);
    if (!idx) return 2;
    int32_t *dec = idx + ln->Nin;
    for (int n = 0; n < ln->Nin; n++) dec[n] = n;
    const int K = ln->K;
    int rc = 0;
    for (int m = m0; m < m1; m++) {
        const size_t row = (size_t)m * ln->Nin;
        const int na = ln->x_u8 ? active_inputs_u8((const uint8_t *)ln->x + row, ln->Nin, dec, idx)
                                : active_inputs((const float *)ln->x + row, ln->Nin, dec, idx);
        if (na < 0) {
            rc = 1;
            break;
        }
        if (ln->backward) {
            const float *restrict gm = ln->g + (size_t)m * K;
            for (int a = 0; a < na; a++) {
                float *restrict dst = gw + (size_t)idx[a] * K;
                for (int k = 0; k < K; k++) dst[k] += gm[k];
            }
        } else {
            float *restrict om = ln->out + (size_t)m * K;
            for (int k = 0; k < K; k++) om[k] = 0.0f;
            for (int a = 0; a < na; a++) {
                const float *restrict src = ln->w + (size_t)idx[a] * K;
                for (int k = 0; k < K; k++) om[k] += src[k];
            }
        }
    }
    free(idx);
    return rc;
}

int spike_linear_forward(const void *x, int x_u8, int M, int Nin, const float *w, int K, float *out, int nthreads) {
    const Linear ln = {x, w, NULL, out, Nin, K, 0, x_u8};
    return run_split(linear_range, &ln, M, nthreads, NULL, 0);
}

int spike_linear_backward(const void *x, int x_u8, int M, int Nin, const float *g, int K, float *gw, int nthreads) {
    const Linear ln = {x, NULL, g, NULL, Nin, K, 1, x_u8};
    return run_split(linear_range, &ln, M, nthreads, gw, (size_t)Nin * K);
}
