//! CPU kernels for the inference encoder: a packed-weight matmul with fused epilogues, and the
//! element-wise pieces (exp, GELU, LayerNorm) it needs.
//!
//! Three instruction-set paths share one structure: AVX-512F (Zen 4, Ice Lake and later), AVX2+FMA
//! (Haswell / Zen and later) and a portable path written on plain arrays that the compiler
//! vectorises for the baseline target. The ISA is detected once at load.
//!
//! Matmul shape: `C[m×n] (op)= A[m×k] · B[k×n]`, where `A` is row-major with a leading dimension
//! and `B` is *packed*: `n/16` column panels, each `k × 16` floats contiguous (row `kk` of panel
//! `p` holds `B[kk][16p .. 16p+16]`). The micro-kernel broadcasts one element of `A` and multiplies
//! it into 16-wide rows of `B`, so the weights (the `B` side) are read as vectors and packed only
//! once, at load.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Columns per packed panel.
pub const NR: usize = 16;

/// How far ahead (in floats) the micro-kernels prefetch each weight stream: 16 cache lines.
/// Weights stream from memory for small batches (queries); the hardware prefetcher alone leaves
/// the kernel waiting on them.
const PREFETCH_FLOATS: usize = 16 * NR;

/// Instruction set chosen at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Avx512,
    Avx2,
    Portable,
}

impl Isa {
    /// The best ISA this CPU supports.
    pub fn detect() -> Isa {
        Self::detect_cpu()
    }

    /// `wanted` if this CPU can run it (a lower ISA than the best, for comparisons), else the
    /// best it supports.
    pub fn at_most(wanted: Isa) -> Isa {
        let detected = Self::detect_cpu();
        let rank = |i: Isa| match i {
            Isa::Portable => 0,
            Isa::Avx2 => 1,
            Isa::Avx512 => 2,
        };
        if rank(wanted) <= rank(detected) {
            wanted
        } else {
            detected
        }
    }

    fn detect_cpu() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma")
            {
                return Isa::Avx512;
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }

    /// Rows per micro-tile.
    pub fn mr(self) -> usize {
        match self {
            Isa::Avx512 => 12,
            Isa::Avx2 => 6,
            Isa::Portable => 4,
        }
    }

    /// Columns per micro-tile (a multiple of [`NR`]).
    pub fn nr_tile(self) -> usize {
        match self {
            Isa::Avx512 => 32,
            Isa::Avx2 => 16,
            Isa::Portable => 16,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2+fma",
            Isa::Portable => "portable",
        }
    }
}

/// What the matmul does with each finished tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Epi {
    /// `C = A·B (+ bias)`
    Store,
    /// `C = gelu(A·B + bias)` (exact, erf-based GELU)
    Gelu,
    /// `C += A·B + bias` (residual connection: `C` holds the residual on entry)
    AddTo,
}

/// Pack a PyTorch `Linear` weight (`w[n][k]`, row-major, so `y = x·wᵀ`) into panels.
pub fn pack_linear_weight(w: &[f32], n: usize, k: usize) -> Vec<f32> {
    assert_eq!(w.len(), n * k);
    assert_eq!(n % NR, 0, "output width must be a multiple of {NR}");
    let mut out = vec![0f32; n * k];
    for p in 0..n / NR {
        let panel = &mut out[p * k * NR..(p + 1) * k * NR];
        for kk in 0..k {
            for j in 0..NR {
                panel[kk * NR + j] = w[(p * NR + j) * k + kk];
            }
        }
    }
    out
}

/// Compute one block of rows `[0, m)` × panels `[p0, p1)`: `C op= A·B + bias`.
///
/// # Safety
/// `a` must be valid for `m` rows of `k` floats at stride `lda`; `b` for `(p1)·k·NR` floats;
/// `c` for `m` rows of `p1·NR` floats at stride `ldc`; `bias`, when given, for `p1·NR` floats.
/// `p1 - p0` must be a multiple of `isa.nr_tile() / NR`.
#[allow(clippy::too_many_arguments)]
pub unsafe fn matmul_block(
    isa: Isa,
    m: usize,
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    p0: usize,
    p1: usize,
    c: *mut f32,
    ldc: usize,
    bias: Option<*const f32>,
    epi: Epi,
) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => avx512::block(m, k, a, lda, b, p0, p1, c, ldc, bias, epi),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => avx2::block(m, k, a, lda, b, p0, p1, c, ldc, bias, epi),
        _ => portable::block(m, k, a, lda, b, p0, p1, c, ldc, bias, epi),
    }
}

// ---------------------------------------------------------------------------------------------
// Scalar math shared by all paths (and used by tests as the reference for the vector versions).

/// exp(x) for the softmax: range reduction to `2^n · e^r`, |r| ≤ ln2/2, degree-6 polynomial.
/// Relative error below 2e-7 for x in [-87, 88].
#[inline]
pub fn exp_scalar(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // Round to nearest with the 1.5·2^23 trick (no libm call on baseline x86-64).
    const MAGIC: f32 = 12_582_912.0;
    let n = (x * std::f32::consts::LOG2_E + MAGIC) - MAGIC;
    let r = x - n * LN2_HI;
    let r = r - n * LN2_LO;
    let p = poly_exp(r);
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    p * scale
}

const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const EXP_C: [f32; 7] = [
    1.0,
    1.0,
    0.5,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
];

#[inline]
fn poly_exp(r: f32) -> f32 {
    let mut p = EXP_C[6];
    for c in EXP_C[..6].iter().rev() {
        p = p * r + *c;
    }
    p
}

/// Coefficients of the erfc approximation `erfc(z) ≈ t·exp(-z² + P(t))`, `t = 1/(1 + z/2)`
/// (Chebyshev fit, fractional error < 1.2e-7 for z ≥ 0), lowest order first.
const ERFC_P: [f32; 10] = [
    -1.265_512_2,
    1.000_023_7,
    0.374_091_96,
    0.096_784_18,
    -0.186_288_06,
    0.278_868_07,
    -1.135_204,
    1.488_515_9,
    -0.822_152_23,
    0.170_872_77,
];

/// Exact (erf-based) GELU: `x · Φ(x)`.
#[inline]
pub fn gelu_scalar(x: f32) -> f32 {
    let z = x.abs() * std::f32::consts::FRAC_1_SQRT_2;
    let t = 1.0 / (0.5 * z + 1.0);
    let mut p = ERFC_P[9];
    for c in ERFC_P[..9].iter().rev() {
        p = p * t + *c;
    }
    // y = erfc(z); Φ(x) = 1 - y/2 for x ≥ 0, y/2 for x < 0.
    let y = t * exp_scalar(p - z * z);
    if x >= 0.0 {
        x * (1.0 - 0.5 * y)
    } else {
        x * (0.5 * y)
    }
}

/// In-place LayerNorm of one row.
pub fn layer_norm_row(isa: Isa, row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 | Isa::Avx2 if row.len().is_multiple_of(8) => unsafe {
            avx2::layer_norm_row(row, gamma, beta, eps)
        },
        _ => portable::layer_norm_row(row, gamma, beta, eps),
    }
}

/// Softmax numerator in place: `row[j] = exp(row[j] - max)`; returns the sum.
pub fn exp_shift_sum(isa: Isa, row: &mut [f32]) -> f32 {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { avx512::exp_shift_sum(row) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2::exp_shift_sum(row) },
        _ => portable::exp_shift_sum(row),
    }
}

/// `y += x` element-wise (used by pooling).
pub fn add_assign(y: &mut [f32], x: &[f32]) {
    for (a, b) in y.iter_mut().zip(x) {
        *a += *b;
    }
}

/// The FMA rate this thread can sustain (GFLOP/s, multiply and add counted separately), from a
/// register-only loop of independent fused multiply-adds running for about `seconds`. The
/// benchmark runs it on every core at once to state the machine's fp32 ceiling.
pub fn fma_peak_gflops(isa: Isa, seconds: f64) -> f64 {
    let start = std::time::Instant::now();
    let mut flops = 0f64;
    let mut sink = 0f32;
    while start.elapsed().as_secs_f64() < seconds {
        let iters = 2_000_000;
        sink += match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512::fma_loop(iters) },
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { avx2::fma_loop(iters) },
            _ => portable_fma_loop(iters),
        };
        flops += iters as f64 * 12.0 * 2.0 * isa_lanes(isa) as f64;
    }
    std::hint::black_box(sink);
    flops / start.elapsed().as_secs_f64() / 1e9
}

fn isa_lanes(isa: Isa) -> usize {
    match isa {
        Isa::Avx512 => 16,
        Isa::Avx2 => 8,
        Isa::Portable => 4,
    }
}

fn portable_fma_loop(iters: usize) -> f32 {
    let mut a = [[1f32; 4]; 12];
    let b = std::hint::black_box(0.999_999f32);
    let c = std::hint::black_box(1e-7f32);
    for _ in 0..iters {
        for r in a.iter_mut() {
            for x in r.iter_mut() {
                *x = *x * b + c;
            }
        }
    }
    a.iter().flatten().sum()
}

// ---------------------------------------------------------------------------------------------

mod portable {
    use super::{exp_scalar, gelu_scalar, Epi, NR};

    const MR: usize = 4;

    #[allow(clippy::too_many_arguments)]
    pub unsafe fn block(
        m: usize,
        k: usize,
        a: *const f32,
        lda: usize,
        b: *const f32,
        p0: usize,
        p1: usize,
        c: *mut f32,
        ldc: usize,
        bias: Option<*const f32>,
        epi: Epi,
    ) {
        for p in p0..p1 {
            let bp = b.add(p * k * NR);
            let mut i = 0;
            while i < m {
                let rows = (m - i).min(MR);
                let mut acc = [[0f32; NR]; MR];
                for kk in 0..k {
                    let brow = std::slice::from_raw_parts(bp.add(kk * NR), NR);
                    for (r, accr) in acc.iter_mut().enumerate().take(rows) {
                        let av = *a.add((i + r) * lda + kk);
                        for (x, &bv) in accr.iter_mut().zip(brow) {
                            *x += av * bv;
                        }
                    }
                }
                for (r, accr) in acc.iter().enumerate().take(rows) {
                    let crow = std::slice::from_raw_parts_mut(c.add((i + r) * ldc + p * NR), NR);
                    for j in 0..NR {
                        let mut v = accr[j];
                        if let Some(bias) = bias {
                            v += *bias.add(p * NR + j);
                        }
                        crow[j] = match epi {
                            Epi::Store => v,
                            Epi::Gelu => gelu_scalar(v),
                            Epi::AddTo => crow[j] + v,
                        };
                    }
                }
                i += rows;
            }
        }
    }

    pub fn layer_norm_row(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
        let n = row.len() as f32;
        let mean = row.iter().sum::<f32>() / n;
        let var = row.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / n;
        let rstd = 1.0 / (var + eps).sqrt();
        for ((x, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *x = (*x - mean) * rstd * g + b;
        }
    }

    pub fn exp_shift_sum(row: &mut [f32]) -> f32 {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for x in row.iter_mut() {
            *x = exp_scalar(*x - max);
            sum += *x;
        }
        sum
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::*;

    const MR: usize = 6;

    #[inline(always)]
    unsafe fn exp8(x: __m256) -> __m256 {
        let x = _mm256_min_ps(
            _mm256_max_ps(x, _mm256_set1_ps(-87.0)),
            _mm256_set1_ps(88.0),
        );
        let n = _mm256_round_ps(
            _mm256_mul_ps(x, _mm256_set1_ps(std::f32::consts::LOG2_E)),
            _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC,
        );
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
        let mut p = _mm256_set1_ps(EXP_C[6]);
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_C[5]));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_C[4]));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_C[3]));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_C[2]));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_C[1]));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_C[0]));
        let e = _mm256_slli_epi32::<23>(_mm256_add_epi32(
            _mm256_cvtps_epi32(n),
            _mm256_set1_epi32(127),
        ));
        _mm256_mul_ps(p, _mm256_castsi256_ps(e))
    }

    /// Exact GELU (same formula as [`gelu_scalar`]) over an array of vectors, stage by stage, so that the long dependency chains of the
    /// lanes interleave instead of running one after another.
    #[inline(always)]
    unsafe fn gelu8_arr<const N: usize>(v: &mut [__m256; N]) {
        let one = _mm256_set1_ps(1.0);
        let half = _mm256_set1_ps(0.5);
        let two = _mm256_set1_ps(2.0);
        let sign = _mm256_set1_ps(-0.0);
        let mut z = [_mm256_setzero_ps(); N];
        let mut t = [_mm256_setzero_ps(); N];
        let mut p = [_mm256_setzero_ps(); N];
        for i in 0..N {
            z[i] = _mm256_mul_ps(
                _mm256_andnot_ps(sign, v[i]),
                _mm256_set1_ps(std::f32::consts::FRAC_1_SQRT_2),
            );
        }
        for i in 0..N {
            let d = _mm256_fmadd_ps(half, z[i], one);
            let t0 = _mm256_rcp_ps(d);
            t[i] = _mm256_mul_ps(t0, _mm256_fnmadd_ps(d, t0, two));
            p[i] = _mm256_set1_ps(ERFC_P[9]);
        }
        for c in ERFC_P[..9].iter().rev() {
            let cv = _mm256_set1_ps(*c);
            for i in 0..N {
                p[i] = _mm256_fmadd_ps(p[i], t[i], cv);
            }
        }
        // exp(p - z²), as in exp8
        let mut n = [_mm256_setzero_ps(); N];
        for i in 0..N {
            let x = _mm256_max_ps(_mm256_fnmadd_ps(z[i], z[i], p[i]), _mm256_set1_ps(-87.0));
            n[i] = _mm256_round_ps(
                _mm256_mul_ps(x, _mm256_set1_ps(std::f32::consts::LOG2_E)),
                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC,
            );
            let r = _mm256_fnmadd_ps(n[i], _mm256_set1_ps(LN2_HI), x);
            z[i] = _mm256_fnmadd_ps(n[i], _mm256_set1_ps(LN2_LO), r); // z now holds r
            p[i] = _mm256_set1_ps(EXP_C[6]);
        }
        for c in EXP_C[..6].iter().rev() {
            let cv = _mm256_set1_ps(*c);
            for i in 0..N {
                p[i] = _mm256_fmadd_ps(p[i], z[i], cv);
            }
        }
        for i in 0..N {
            let e = _mm256_slli_epi32::<23>(_mm256_add_epi32(
                _mm256_cvtps_epi32(n[i]),
                _mm256_set1_epi32(127),
            ));
            let y = _mm256_mul_ps(p[i], _mm256_castsi256_ps(e));
            let hy = _mm256_mul_ps(half, _mm256_mul_ps(t[i], y));
            let neg = _mm256_cmp_ps::<_CMP_LT_OQ>(v[i], _mm256_setzero_ps());
            let phi = _mm256_blendv_ps(_mm256_sub_ps(one, hy), hy, neg);
            v[i] = _mm256_mul_ps(v[i], phi);
        }
    }

    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn block(
        m: usize,
        k: usize,
        a: *const f32,
        lda: usize,
        b: *const f32,
        p0: usize,
        p1: usize,
        c: *mut f32,
        ldc: usize,
        bias: Option<*const f32>,
        epi: Epi,
    ) {
        for p in p0..p1 {
            let bp = b.add(p * k * NR);
            let bias_p = bias.map(|bb| bb.add(p * NR));
            let cp = c.add(p * NR);
            let mut i = 0;
            while i + MR <= m {
                tile::<MR>(
                    k,
                    a.add(i * lda),
                    lda,
                    bp,
                    cp.add(i * ldc),
                    ldc,
                    bias_p,
                    epi,
                );
                i += MR;
            }
            let a_i = a.add(i * lda);
            let c_i = cp.add(i * ldc);
            match m - i {
                0 => {}
                1 => tile::<1>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                2 => tile::<2>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                3 => tile::<3>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                4 => tile::<4>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                5 => tile::<5>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                _ => unreachable!(),
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const R: usize>(
        k: usize,
        a: *const f32,
        lda: usize,
        b: *const f32,
        c: *mut f32,
        ldc: usize,
        bias: Option<*const f32>,
        epi: Epi,
    ) {
        let mut acc0 = [_mm256_setzero_ps(); R];
        let mut acc1 = [_mm256_setzero_ps(); R];
        let mut bp = b;
        let mut ap = a;
        for _ in 0..k {
            _mm_prefetch::<_MM_HINT_T0>(bp.add(PREFETCH_FLOATS) as *const i8);
            let b0 = _mm256_loadu_ps(bp);
            let b1 = _mm256_loadu_ps(bp.add(8));
            for r in 0..R {
                let av = _mm256_broadcast_ss(&*ap.add(r * lda));
                acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
                acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
            }
            bp = bp.add(NR);
            ap = ap.add(1);
        }
        let (bias0, bias1) = match bias {
            Some(bb) => (_mm256_loadu_ps(bb), _mm256_loadu_ps(bb.add(8))),
            None => (_mm256_setzero_ps(), _mm256_setzero_ps()),
        };
        for r in 0..R {
            acc0[r] = _mm256_add_ps(acc0[r], bias0);
            acc1[r] = _mm256_add_ps(acc1[r], bias1);
        }
        match epi {
            Epi::Store => {}
            Epi::Gelu => {
                gelu8_arr(&mut acc0);
                gelu8_arr(&mut acc1);
            }
            Epi::AddTo => {
                for r in 0..R {
                    let cr = c.add(r * ldc);
                    acc0[r] = _mm256_add_ps(acc0[r], _mm256_loadu_ps(cr));
                    acc1[r] = _mm256_add_ps(acc1[r], _mm256_loadu_ps(cr.add(8)));
                }
            }
        }
        for r in 0..R {
            let cr = c.add(r * ldc);
            _mm256_storeu_ps(cr, acc0[r]);
            _mm256_storeu_ps(cr.add(8), acc1[r]);
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn fma_loop(iters: usize) -> f32 {
        let mut a = [_mm256_set1_ps(1.0); 12];
        let b = _mm256_set1_ps(std::hint::black_box(0.999_999));
        let c = _mm256_set1_ps(std::hint::black_box(1e-7));
        for _ in 0..iters {
            for x in a.iter_mut() {
                *x = _mm256_fmadd_ps(*x, b, c);
            }
        }
        let mut s = _mm256_setzero_ps();
        for x in a {
            s = _mm256_add_ps(s, x);
        }
        hsum(s)
    }

    #[inline(always)]
    unsafe fn hsum(v: __m256) -> f32 {
        let lo = _mm256_castps256_ps128(v);
        let hi = _mm256_extractf128_ps::<1>(v);
        let s = _mm_add_ps(lo, hi);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps::<1>(s, s));
        _mm_cvtss_f32(s)
    }

    #[inline(always)]
    unsafe fn hmax(v: __m256) -> f32 {
        let lo = _mm256_castps256_ps128(v);
        let hi = _mm256_extractf128_ps::<1>(v);
        let s = _mm_max_ps(lo, hi);
        let s = _mm_max_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_max_ss(s, _mm_shuffle_ps::<1>(s, s));
        _mm_cvtss_f32(s)
    }

    /// Row length must be a multiple of 8.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn layer_norm_row(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
        let n = row.len();
        debug_assert!(n.is_multiple_of(8) && gamma.len() >= n && beta.len() >= n);
        let p = row.as_mut_ptr();
        let mut s = _mm256_setzero_ps();
        let mut i = 0;
        while i < n {
            s = _mm256_add_ps(s, _mm256_loadu_ps(p.add(i)));
            i += 8;
        }
        let mean = hsum(s) / n as f32;
        let mv = _mm256_set1_ps(mean);
        let mut q = _mm256_setzero_ps();
        i = 0;
        while i < n {
            let d = _mm256_sub_ps(_mm256_loadu_ps(p.add(i)), mv);
            q = _mm256_fmadd_ps(d, d, q);
            i += 8;
        }
        let var = hsum(q) / n as f32;
        let rstd = _mm256_set1_ps(1.0 / (var + eps).sqrt());
        i = 0;
        while i < n {
            let d = _mm256_sub_ps(_mm256_loadu_ps(p.add(i)), mv);
            let g = _mm256_loadu_ps(gamma.as_ptr().add(i));
            let bb = _mm256_loadu_ps(beta.as_ptr().add(i));
            _mm256_storeu_ps(p.add(i), _mm256_fmadd_ps(_mm256_mul_ps(d, rstd), g, bb));
            i += 8;
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp_shift_sum(row: &mut [f32]) -> f32 {
        let n = row.len();
        let p = row.as_mut_ptr();
        let mut mx = _mm256_set1_ps(f32::NEG_INFINITY);
        let mut i = 0;
        while i + 8 <= n {
            mx = _mm256_max_ps(mx, _mm256_loadu_ps(p.add(i)));
            i += 8;
        }
        let mut max = hmax(mx);
        for j in i..n {
            max = max.max(*p.add(j));
        }
        let mv = _mm256_set1_ps(max);
        let mut s = _mm256_setzero_ps();
        i = 0;
        while i + 8 <= n {
            let e = exp8(_mm256_sub_ps(_mm256_loadu_ps(p.add(i)), mv));
            _mm256_storeu_ps(p.add(i), e);
            s = _mm256_add_ps(s, e);
            i += 8;
        }
        let mut sum = hsum(s);
        for j in i..n {
            let e = exp_scalar(*p.add(j) - max);
            *p.add(j) = e;
            sum += e;
        }
        sum
    }

    #[cfg(test)]
    pub fn gelu_vec(x: &mut [f32]) {
        assert!(x.len().is_multiple_of(8));
        unsafe {
            for ch in x.chunks_exact_mut(8) {
                let mut v = [_mm256_loadu_ps(ch.as_ptr())];
                gelu8_entry(&mut v);
                _mm256_storeu_ps(ch.as_mut_ptr(), v[0]);
            }
        }
    }

    #[cfg(test)]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn gelu8_entry(x: &mut [__m256; 1]) {
        gelu8_arr(x)
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::*;

    const MR: usize = 12;

    /// GELU over an array of 16-lane vectors, stage by stage (see `avx2::gelu8_arr`); the
    /// reciprocal is `vrcp14ps` refined by one Newton step, 2^n is applied by `vscalefps`.
    #[inline(always)]
    unsafe fn gelu16_arr<const N: usize>(v: &mut [__m512; N]) {
        let one = _mm512_set1_ps(1.0);
        let half = _mm512_set1_ps(0.5);
        let two = _mm512_set1_ps(2.0);
        let mut z = [_mm512_setzero_ps(); N];
        let mut t = [_mm512_setzero_ps(); N];
        let mut p = [_mm512_setzero_ps(); N];
        for i in 0..N {
            z[i] = _mm512_mul_ps(
                _mm512_abs_ps(v[i]),
                _mm512_set1_ps(std::f32::consts::FRAC_1_SQRT_2),
            );
        }
        for i in 0..N {
            let d = _mm512_fmadd_ps(half, z[i], one);
            let t0 = _mm512_rcp14_ps(d);
            t[i] = _mm512_mul_ps(t0, _mm512_fnmadd_ps(d, t0, two));
            p[i] = _mm512_set1_ps(ERFC_P[9]);
        }
        for c in ERFC_P[..9].iter().rev() {
            let cv = _mm512_set1_ps(*c);
            for i in 0..N {
                p[i] = _mm512_fmadd_ps(p[i], t[i], cv);
            }
        }
        let mut n = [_mm512_setzero_ps(); N];
        for i in 0..N {
            let x = _mm512_max_ps(_mm512_fnmadd_ps(z[i], z[i], p[i]), _mm512_set1_ps(-87.0));
            n[i] = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
                _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)),
            );
            let r = _mm512_fnmadd_ps(n[i], _mm512_set1_ps(LN2_HI), x);
            z[i] = _mm512_fnmadd_ps(n[i], _mm512_set1_ps(LN2_LO), r); // z now holds r
            p[i] = _mm512_set1_ps(EXP_C[6]);
        }
        for c in EXP_C[..6].iter().rev() {
            let cv = _mm512_set1_ps(*c);
            for i in 0..N {
                p[i] = _mm512_fmadd_ps(p[i], z[i], cv);
            }
        }
        for i in 0..N {
            let y = _mm512_scalef_ps(p[i], n[i]);
            let hy = _mm512_mul_ps(half, _mm512_mul_ps(t[i], y));
            let neg = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(v[i], _mm512_setzero_ps());
            let phi = _mm512_mask_blend_ps(neg, _mm512_sub_ps(one, hy), hy);
            v[i] = _mm512_mul_ps(v[i], phi);
        }
    }

    #[target_feature(enable = "avx512f,avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn block(
        m: usize,
        k: usize,
        a: *const f32,
        lda: usize,
        b: *const f32,
        p0: usize,
        p1: usize,
        c: *mut f32,
        ldc: usize,
        bias: Option<*const f32>,
        epi: Epi,
    ) {
        debug_assert!((p1 - p0).is_multiple_of(2));
        let mut p = p0;
        while p < p1 {
            let bp = b.add(p * k * NR);
            let bias_p = bias.map(|bb| bb.add(p * NR));
            let cp = c.add(p * NR);
            let mut i = 0;
            while i + MR <= m {
                tile::<MR>(
                    k,
                    a.add(i * lda),
                    lda,
                    bp,
                    cp.add(i * ldc),
                    ldc,
                    bias_p,
                    epi,
                );
                i += MR;
            }
            let a_i = a.add(i * lda);
            let c_i = cp.add(i * ldc);
            match m - i {
                0 => {}
                1 => tile::<1>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                2 => tile::<2>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                3 => tile::<3>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                4 => tile::<4>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                5 => tile::<5>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                6 => tile::<6>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                7 => tile::<7>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                8 => tile::<8>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                9 => tile::<9>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                10 => tile::<10>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                11 => tile::<11>(k, a_i, lda, bp, c_i, ldc, bias_p, epi),
                _ => unreachable!(),
            }
            p += 2;
        }
    }

    #[target_feature(enable = "avx512f,avx2,fma")]
    pub unsafe fn fma_loop(iters: usize) -> f32 {
        let mut a = [_mm512_set1_ps(1.0); 12];
        let b = _mm512_set1_ps(std::hint::black_box(0.999_999));
        let c = _mm512_set1_ps(std::hint::black_box(1e-7));
        for _ in 0..iters {
            for x in a.iter_mut() {
                *x = _mm512_fmadd_ps(*x, b, c);
            }
        }
        let mut s = _mm512_setzero_ps();
        for x in a {
            s = _mm512_add_ps(s, x);
        }
        _mm512_reduce_add_ps(s)
    }

    /// Softmax numerators in place (`row[j] = exp(row[j] - max)`), returning the sum; the tail
    /// is handled with masked loads and stores.
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub unsafe fn exp_shift_sum(row: &mut [f32]) -> f32 {
        let n = row.len();
        let p = row.as_mut_ptr();
        let tail = (n % 16) as u32;
        let tail_mask: __mmask16 = ((1u32 << tail) - 1) as __mmask16;
        let full = n - n % 16;
        let mut mx = _mm512_set1_ps(f32::NEG_INFINITY);
        let mut i = 0;
        while i < full {
            mx = _mm512_max_ps(mx, _mm512_loadu_ps(p.add(i)));
            i += 16;
        }
        if tail > 0 {
            let v = _mm512_mask_loadu_ps(_mm512_set1_ps(f32::NEG_INFINITY), tail_mask, p.add(full));
            mx = _mm512_max_ps(mx, v);
        }
        let mv = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
        let mut s = _mm512_setzero_ps();
        i = 0;
        while i < full {
            let e = exp16(_mm512_sub_ps(_mm512_loadu_ps(p.add(i)), mv));
            _mm512_storeu_ps(p.add(i), e);
            s = _mm512_add_ps(s, e);
            i += 16;
        }
        if tail > 0 {
            let v = _mm512_mask_loadu_ps(mv, tail_mask, p.add(full));
            let e = exp16(_mm512_sub_ps(v, mv));
            _mm512_mask_storeu_ps(p.add(full), tail_mask, e);
            s = _mm512_mask_add_ps(s, tail_mask, s, e);
        }
        _mm512_reduce_add_ps(s)
    }

    /// exp on 16 lanes: the reduction and polynomial of [`exp_scalar`], 2^n by `vscalefps`.
    #[inline(always)]
    unsafe fn exp16(x: __m512) -> __m512 {
        let x = _mm512_min_ps(
            _mm512_max_ps(x, _mm512_set1_ps(-87.0)),
            _mm512_set1_ps(88.0),
        );
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
            _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)),
        );
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), x);
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
        let mut p = _mm512_set1_ps(EXP_C[6]);
        for c in EXP_C[..6].iter().rev() {
            p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(*c));
        }
        _mm512_scalef_ps(p, n)
    }

    /// A `R × 32` tile over two adjacent packed panels (`b` and `b + k·16`).
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const R: usize>(
        k: usize,
        a: *const f32,
        lda: usize,
        b: *const f32,
        c: *mut f32,
        ldc: usize,
        bias: Option<*const f32>,
        epi: Epi,
    ) {
        let mut acc0 = [_mm512_setzero_ps(); R];
        let mut acc1 = [_mm512_setzero_ps(); R];
        let mut bp0 = b;
        let mut bp1 = b.add(k * NR);
        let mut ap = a;
        for _ in 0..k {
            _mm_prefetch::<_MM_HINT_T0>(bp0.add(PREFETCH_FLOATS) as *const i8);
            _mm_prefetch::<_MM_HINT_T0>(bp1.add(PREFETCH_FLOATS) as *const i8);
            let b0 = _mm512_loadu_ps(bp0);
            let b1 = _mm512_loadu_ps(bp1);
            for r in 0..R {
                let av = _mm512_set1_ps(*ap.add(r * lda));
                acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
                acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
            }
            bp0 = bp0.add(NR);
            bp1 = bp1.add(NR);
            ap = ap.add(1);
        }
        let (bias0, bias1) = match bias {
            Some(bb) => (_mm512_loadu_ps(bb), _mm512_loadu_ps(bb.add(NR))),
            None => (_mm512_setzero_ps(), _mm512_setzero_ps()),
        };
        for r in 0..R {
            acc0[r] = _mm512_add_ps(acc0[r], bias0);
            acc1[r] = _mm512_add_ps(acc1[r], bias1);
        }
        match epi {
            Epi::Store => {}
            Epi::Gelu => {
                gelu16_arr(&mut acc0);
                gelu16_arr(&mut acc1);
            }
            Epi::AddTo => {
                for r in 0..R {
                    let cr = c.add(r * ldc);
                    acc0[r] = _mm512_add_ps(acc0[r], _mm512_loadu_ps(cr));
                    acc1[r] = _mm512_add_ps(acc1[r], _mm512_loadu_ps(cr.add(NR)));
                }
            }
        }
        for r in 0..R {
            let cr = c.add(r * ldc);
            _mm512_storeu_ps(cr, acc0[r]);
            _mm512_storeu_ps(cr.add(NR), acc1[r]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf by its Taylor series in f64 (cancellation keeps it exact to ~1e-10 for |x| ≤ 4);
    /// beyond 4, |erf| = 1 within 1.6e-8.
    fn erf_series(x: f64) -> f64 {
        if x.abs() > 4.0 {
            return x.signum();
        }
        let mut term = x;
        let mut sum = x;
        let x2 = x * x;
        for n in 1..200 {
            term *= -x2 / n as f64;
            let add = term / (2 * n + 1) as f64;
            sum += add;
            if add.abs() < 1e-17 {
                break;
            }
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    fn gelu_exact(x: f64) -> f64 {
        0.5 * x * (1.0 + erf_series(x / std::f64::consts::SQRT_2))
    }

    #[test]
    fn exp_matches_std() {
        let mut worst: f64 = 0.0;
        let mut x = -87.0f32;
        while x < 88.0 {
            let e = exp_scalar(x) as f64;
            let want = (x as f64).exp();
            worst = worst.max(((e - want) / want).abs());
            x += 0.0137;
        }
        assert!(worst < 3e-7, "worst relative error {worst}");
    }

    #[test]
    fn gelu_matches_erf_series() {
        let mut worst: f64 = 0.0;
        let mut x = -10.0f32;
        while x < 10.0 {
            let g = gelu_scalar(x) as f64;
            let want = gelu_exact(x as f64);
            worst = worst.max((g - want).abs() / (1.0 + want.abs()));
            x += 0.001;
        }
        assert!(worst < 5e-7, "worst error {worst}");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vector_gelu_and_exp_match_scalar() {
        if Isa::detect_cpu() == Isa::Portable {
            return;
        }
        let xs: Vec<f32> = (0..4096).map(|i| (i as f32 - 2048.0) * 0.004).collect();
        let mut v = xs.clone();
        avx2::gelu_vec(&mut v);
        for (x, g) in xs.iter().zip(&v) {
            let want = gelu_scalar(*x);
            assert!(
                (g - want).abs() <= 1e-6 * (1.0 + want.abs()),
                "gelu({x}) = {g} vs {want}"
            );
        }
        let row: Vec<f32> = (0..301)
            .map(|i| ((i * 37) % 101) as f32 * 0.3 - 10.0)
            .collect();
        let mut isas = vec![Isa::Avx2];
        if Isa::detect_cpu() == Isa::Avx512 {
            isas.push(Isa::Avx512);
        }
        for isa in isas {
            for len in [301usize, 16, 7, 1] {
                let mut r = row[..len].to_vec();
                let mut r2 = row[..len].to_vec();
                let s1 = exp_shift_sum(isa, &mut r);
                let s2 = exp_shift_sum(Isa::Portable, &mut r2);
                assert!(s2 >= 1.0);
                assert!(
                    (s1 - s2).abs() <= 1e-5 * s2,
                    "{isa:?} len {len}: {s1} vs {s2}"
                );
                for (a, b) in r.iter().zip(&r2) {
                    assert!(
                        (a - b).abs() <= 1e-6 * b.abs().max(1e-30),
                        "{isa:?}: {a} vs {b}"
                    );
                }
            }
        }
    }

    fn naive(a: &[f32], m: usize, k: usize, w: &[f32], n: usize, bias: &[f32]) -> Vec<f32> {
        let mut c = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0f64;
                for kk in 0..k {
                    s += a[i * k + kk] as f64 * w[j * k + kk] as f64;
                }
                c[i * n + j] = s as f32 + bias[j];
            }
        }
        c
    }

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    }

    #[test]
    fn matmul_all_isas_all_epilogues() {
        let mut isas = vec![Isa::Portable];
        match Isa::detect_cpu() {
            Isa::Avx512 => isas.extend([Isa::Avx2, Isa::Avx512]),
            Isa::Avx2 => isas.push(Isa::Avx2),
            Isa::Portable => {}
        }
        let mut seed = 7u64;
        for &(m, k, n) in &[
            (1usize, 384usize, 64usize),
            (13, 50, 32),
            (37, 96, 96),
            (12, 7, 32),
        ] {
            let a: Vec<f32> = (0..m * k).map(|_| lcg(&mut seed)).collect();
            let w: Vec<f32> = (0..n * k).map(|_| lcg(&mut seed)).collect();
            let bias: Vec<f32> = (0..n).map(|_| lcg(&mut seed)).collect();
            let resid: Vec<f32> = (0..m * n).map(|_| lcg(&mut seed)).collect();
            let packed = pack_linear_weight(&w, n, k);
            let want = naive(&a, m, k, &w, n, &bias);
            for &isa in &isas {
                for epi in [Epi::Store, Epi::Gelu, Epi::AddTo] {
                    let mut c = if epi == Epi::AddTo {
                        resid.clone()
                    } else {
                        vec![0f32; m * n]
                    };
                    unsafe {
                        matmul_block(
                            isa,
                            m,
                            k,
                            a.as_ptr(),
                            k,
                            packed.as_ptr(),
                            0,
                            n / NR,
                            c.as_mut_ptr(),
                            n,
                            Some(bias.as_ptr()),
                            epi,
                        )
                    };
                    for i in 0..m * n {
                        let expect = match epi {
                            Epi::Store => want[i],
                            Epi::Gelu => gelu_scalar(want[i]),
                            Epi::AddTo => want[i] + resid[i],
                        };
                        assert!(
                            (c[i] - expect).abs() < 1e-4,
                            "{isa:?} {epi:?} m={m} k={k} n={n} i={i}: {} vs {expect}",
                            c[i]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn layer_norm_paths_agree() {
        let mut seed = 3u64;
        let row: Vec<f32> = (0..384).map(|_| lcg(&mut seed) * 4.0 + 1.0).collect();
        let g: Vec<f32> = (0..384).map(|_| lcg(&mut seed) + 1.0).collect();
        let b: Vec<f32> = (0..384).map(|_| lcg(&mut seed)).collect();
        let mut r1 = row.clone();
        let mut r2 = row.clone();
        layer_norm_row(Isa::Portable, &mut r1, &g, &b, 1e-12);
        layer_norm_row(Isa::detect_cpu(), &mut r2, &g, &b, 1e-12);
        for (x, y) in r1.iter().zip(&r2) {
            assert!((x - y).abs() < 1e-5);
        }
        let mean: f32 = (0..384).map(|i| (r1[i] - b[i]) / g[i]).sum::<f32>() / 384.0;
        assert!(mean.abs() < 1e-4);
    }
}
