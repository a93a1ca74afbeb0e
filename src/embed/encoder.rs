//! Inference-only BERT encoder for all-MiniLM-L6-v2 on raw f32 slices.
//!
//! All sequences of a batch are laid end to end as one `[tokens × 384]` matrix with no padding:
//! the dense layers do not care where one sequence ends, and attention runs per (sequence, head)
//! over each sequence's true length, so there is no attention mask and no wasted work.
//!
//! Per layer: `QKV = X·Wqkv + b` (one fused matmul, 1/√d folded into the query weights);
//! attention per (sequence, head); `X = LN(X + CTX·Wo + bo)` (residual and bias in the matmul
//! epilogue, LayerNorm on each finished row block); `H = gelu(X·W1 + b1)` (GELU in the epilogue);
//! `X = LN(X + H·W2 + b2)`. Weights are packed once at load into the matmul's panel layout;
//! activations live in a reusable [`Workspace`].

use super::kernels::{self, Epi, Isa, NR};
use super::{EmbedError, DIM};
use candle_core::{safetensors::MmapedSafetensors, DType, Device};
use parking_lot::{Condvar, Mutex};
use rayon::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

pub const HIDDEN: usize = DIM;
pub const HEADS: usize = 12;
pub const HEAD_DIM: usize = 32;
pub const FFN: usize = 1536;
pub const LAYERS: usize = 6;
pub const MAX_POS: usize = 512;
pub const LN_EPS: f32 = 1e-12;
/// Rows per task of the row-split matmul: a multiple of every micro-tile height (12, 6, 4).
const ROW_BLOCK: usize = 48;
/// Panels per matmul call between pause points (a multiple of every tile width in panels).
const PANEL_CHUNK: usize = 8;
/// Query rows per attention step (a multiple of every micro-tile height).
const ATTN_ROWS: usize = 12;
/// Key padding in attention: a multiple of every tile width.
const KEY_PAD: usize = 32;

/// A `Linear` layer packed for [`kernels::matmul_block`].
pub struct PackedLinear {
    pub k: usize,
    pub n: usize,
    pub data: Vec<f32>,
    pub bias: Vec<f32>,
}

impl PackedLinear {
    fn new(w: &[f32], b: &[f32], n: usize, k: usize) -> Self {
        assert_eq!(b.len(), n);
        PackedLinear {
            k,
            n,
            data: kernels::pack_linear_weight(w, n, k),
            bias: b.to_vec(),
        }
    }
}

struct Layer {
    qkv: PackedLinear,
    out: PackedLinear,
    ln1_g: Vec<f32>,
    ln1_b: Vec<f32>,
    up: PackedLinear,
    down: PackedLinear,
    ln2_g: Vec<f32>,
    ln2_b: Vec<f32>,
}

/// The packed model.
pub struct Encoder {
    pub isa: Isa,
    word: Vec<f32>,
    /// position embedding + token-type-0 embedding, `[MAX_POS × HIDDEN]`
    pos_type: Vec<f32>,
    emb_ln_g: Vec<f32>,
    emb_ln_b: Vec<f32>,
    layers: Vec<Layer>,
    vocab: usize,
    phase_ns: [AtomicU64; Phase::COUNT],
}

/// Phases of the forward pass, timed for the benchmark.
#[derive(Clone, Copy, Debug)]
pub enum Phase {
    Embed,
    Qkv,
    Attention,
    OutLn,
    UpGelu,
    DownLn,
    Pool,
}

impl Phase {
    pub const COUNT: usize = 7;
    pub const ALL: [Phase; Phase::COUNT] = [
        Phase::Embed,
        Phase::Qkv,
        Phase::Attention,
        Phase::OutLn,
        Phase::UpGelu,
        Phase::DownLn,
        Phase::Pool,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Embed => "embeddings+ln",
            Phase::Qkv => "qkv matmul",
            Phase::Attention => "attention",
            Phase::OutLn => "out matmul+residual+ln",
            Phase::UpGelu => "ffn up matmul+gelu",
            Phase::DownLn => "ffn down matmul+residual+ln",
            Phase::Pool => "pooling",
        }
    }
}

struct PhaseClock<'a> {
    sink: &'a [AtomicU64; Phase::COUNT],
    last: std::time::Instant,
}

impl<'a> PhaseClock<'a> {
    fn new(sink: &'a [AtomicU64; Phase::COUNT]) -> Self {
        PhaseClock {
            sink,
            last: std::time::Instant::now(),
        }
    }

    fn lap(&mut self, p: Phase) {
        let now = std::time::Instant::now();
        self.sink[p as usize].fetch_add((now - self.last).as_nanos() as u64, Ordering::Relaxed);
        self.last = now;
    }
}

fn tensor_vec(
    st: &MmapedSafetensors,
    name: &str,
    shape: &[usize],
    file: &Path,
) -> Result<Vec<f32>, EmbedError> {
    let corrupt = |reason: String| EmbedError::ModelCorrupt {
        file: file.to_path_buf(),
        reason,
    };
    let t = st
        .load(name, &Device::Cpu)
        .map_err(|e| corrupt(format!("tensor {name}: {e}")))?;
    if t.dims() != shape {
        return Err(corrupt(format!(
            "tensor {name} has shape {:?}, expected {shape:?}",
            t.dims()
        )));
    }
    t.to_dtype(DType::F32)
        .and_then(|t| t.flatten_all())
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(|e| corrupt(format!("tensor {name}: {e}")))
}

impl Encoder {
    pub fn load(safetensors: &Path, isa: Isa) -> Result<Encoder, EmbedError> {
        // SAFETY: the file is mapped read-only; the manifest check has just verified it and the
        // model directory is not expected to change while we copy the weights out.
        let st = unsafe { MmapedSafetensors::new(safetensors) }.map_err(|e| {
            EmbedError::ModelCorrupt {
                file: safetensors.to_path_buf(),
                reason: e.to_string(),
            }
        })?;
        let get = |name: &str, shape: &[usize]| tensor_vec(&st, name, shape, safetensors);
        let word = get("embeddings.word_embeddings.weight", &[30522, HIDDEN])?;
        let pos = get("embeddings.position_embeddings.weight", &[MAX_POS, HIDDEN])?;
        let typ = get("embeddings.token_type_embeddings.weight", &[2, HIDDEN])?;
        let mut pos_type = pos;
        for row in pos_type.chunks_exact_mut(HIDDEN) {
            kernels::add_assign(row, &typ[..HIDDEN]);
        }
        let emb_ln_g = get("embeddings.LayerNorm.weight", &[HIDDEN])?;
        let emb_ln_b = get("embeddings.LayerNorm.bias", &[HIDDEN])?;
        let scale = 1.0 / (HEAD_DIM as f32).sqrt();
        let mut layers = Vec::with_capacity(LAYERS);
        for l in 0..LAYERS {
            let p = |s: &str| format!("encoder.layer.{l}.{s}");
            let mut wq = get(&p("attention.self.query.weight"), &[HIDDEN, HIDDEN])?;
            let mut bq = get(&p("attention.self.query.bias"), &[HIDDEN])?;
            wq.iter_mut().for_each(|x| *x *= scale);
            bq.iter_mut().for_each(|x| *x *= scale);
            let wk = get(&p("attention.self.key.weight"), &[HIDDEN, HIDDEN])?;
            let bk = get(&p("attention.self.key.bias"), &[HIDDEN])?;
            let wv = get(&p("attention.self.value.weight"), &[HIDDEN, HIDDEN])?;
            let bv = get(&p("attention.self.value.bias"), &[HIDDEN])?;
            let wqkv = [wq, wk, wv].concat();
            let bqkv = [bq, bk, bv].concat();
            layers.push(Layer {
                qkv: PackedLinear::new(&wqkv, &bqkv, 3 * HIDDEN, HIDDEN),
                out: PackedLinear::new(
                    &get(&p("attention.output.dense.weight"), &[HIDDEN, HIDDEN])?,
                    &get(&p("attention.output.dense.bias"), &[HIDDEN])?,
                    HIDDEN,
                    HIDDEN,
                ),
                ln1_g: get(&p("attention.output.LayerNorm.weight"), &[HIDDEN])?,
                ln1_b: get(&p("attention.output.LayerNorm.bias"), &[HIDDEN])?,
                up: PackedLinear::new(
                    &get(&p("intermediate.dense.weight"), &[FFN, HIDDEN])?,
                    &get(&p("intermediate.dense.bias"), &[FFN])?,
                    FFN,
                    HIDDEN,
                ),
                down: PackedLinear::new(
                    &get(&p("output.dense.weight"), &[HIDDEN, FFN])?,
                    &get(&p("output.dense.bias"), &[HIDDEN])?,
                    HIDDEN,
                    FFN,
                ),
                ln2_g: get(&p("output.LayerNorm.weight"), &[HIDDEN])?,
                ln2_b: get(&p("output.LayerNorm.bias"), &[HIDDEN])?,
            });
        }
        Ok(Encoder {
            isa,
            vocab: word.len() / HIDDEN,
            word,
            pos_type,
            emb_ln_g,
            emb_ln_b,
            layers,
            phase_ns: Default::default(),
        })
    }

    /// Same weights, another instruction set (for comparisons and tests).
    pub fn with_isa(&self, isa: Isa) -> Encoder {
        Encoder {
            isa,
            word: self.word.clone(),
            pos_type: self.pos_type.clone(),
            emb_ln_g: self.emb_ln_g.clone(),
            emb_ln_b: self.emb_ln_b.clone(),
            layers: self
                .layers
                .iter()
                .map(|l| Layer {
                    qkv: clone_lin(&l.qkv),
                    out: clone_lin(&l.out),
                    ln1_g: l.ln1_g.clone(),
                    ln1_b: l.ln1_b.clone(),
                    up: clone_lin(&l.up),
                    down: clone_lin(&l.down),
                    ln2_g: l.ln2_g.clone(),
                    ln2_b: l.ln2_b.clone(),
                })
                .collect(),
            vocab: self.vocab,
            phase_ns: Default::default(),
        }
    }

    /// Floating-point operations (multiply and add counted separately) of one sequence of `len`
    /// tokens: the dense layers plus the two attention products.
    pub fn flops(len: usize) -> f64 {
        let l = len as f64;
        let h = HIDDEN as f64;
        let dense = 2.0 * l * (h * 3.0 * h + h * h + 2.0 * h * FFN as f64);
        let attn = 2.0 * 2.0 * l * l * h;
        LAYERS as f64 * (dense + attn)
    }

    /// Embed already-tokenised sequences (ids with [CLS]/[SEP], each 1..=MAX_POS long), writing
    /// one L2-normalised vector per sequence into `out` (`seqs.len() × DIM`).
    ///
    /// Runs on the current rayon pool. Between tasks it stops at `gate` while higher-priority
    /// work is running.
    pub fn forward(
        &self,
        seqs: &[&[u32]],
        ws: &mut Workspace,
        gate: Option<&Gate>,
        out: &mut [f32],
    ) {
        assert_eq!(out.len(), seqs.len() * DIM);
        let total: usize = seqs.iter().map(|s| s.len()).sum();
        ws.prepare(seqs, total);
        let Workspace {
            x,
            qkv,
            ctx,
            h,
            offsets,
            scratch,
        } = ws;
        let x = &mut x[..total * HIDDEN];
        let qkv = &mut qkv[..total * 3 * HIDDEN];
        let ctx = &mut ctx[..total * HIDDEN];
        let h = &mut h[..total * FFN];
        let runner = Runner {
            gate,
            threads: rayon::current_num_threads(),
        };

        let mut clock = PhaseClock::new(&self.phase_ns);
        // Embeddings + LayerNorm.
        {
            let xs = SyncPtr(x.as_mut_ptr());
            runner.for_each(seqs.len(), |s| {
                let (start, ids) = (offsets[s], seqs[s]);
                for (p, &id) in ids.iter().enumerate() {
                    // SAFETY: each sequence owns rows [start, start + len) of x.
                    let row = unsafe {
                        std::slice::from_raw_parts_mut(xs.get().add((start + p) * HIDDEN), HIDDEN)
                    };
                    let id = (id as usize).min(self.vocab - 1);
                    row.copy_from_slice(&self.word[id * HIDDEN..(id + 1) * HIDDEN]);
                    kernels::add_assign(row, &self.pos_type[p * HIDDEN..(p + 1) * HIDDEN]);
                    kernels::layer_norm_row(self.isa, row, &self.emb_ln_g, &self.emb_ln_b, LN_EPS);
                }
            });
        }
        clock.lap(Phase::Embed);

        for layer in &self.layers {
            self.linear(&runner, total, x, HIDDEN, &layer.qkv, qkv, Epi::Store, None);
            clock.lap(Phase::Qkv);
            self.attention(&runner, seqs, offsets, qkv, ctx, scratch);
            clock.lap(Phase::Attention);
            self.linear(
                &runner,
                total,
                ctx,
                HIDDEN,
                &layer.out,
                x,
                Epi::AddTo,
                Some((&layer.ln1_g, &layer.ln1_b)),
            );
            clock.lap(Phase::OutLn);
            self.linear(&runner, total, x, HIDDEN, &layer.up, h, Epi::Gelu, None);
            clock.lap(Phase::UpGelu);
            self.linear(
                &runner,
                total,
                h,
                FFN,
                &layer.down,
                x,
                Epi::AddTo,
                Some((&layer.ln2_g, &layer.ln2_b)),
            );
            clock.lap(Phase::DownLn);
        }

        // Mean pooling over every token (the attention mask is all ones), then L2 norm.
        for (s, ids) in seqs.iter().enumerate() {
            let o = &mut out[s * DIM..(s + 1) * DIM];
            o.fill(0.0);
            let start = offsets[s];
            for t in start..start + ids.len() {
                kernels::add_assign(o, &x[t * HIDDEN..(t + 1) * HIDDEN]);
            }
            let inv_len = 1.0 / ids.len() as f32;
            o.iter_mut().for_each(|v| *v *= inv_len);
            let norm = o.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            o.iter_mut().for_each(|v| *v /= norm);
        }
        clock.lap(Phase::Pool);
    }

    /// Wall-clock seconds spent in each phase of [`Encoder::forward`] since load (all calls,
    /// bulk and query), for the benchmark's breakdown.
    pub fn phase_seconds(&self) -> Vec<(&'static str, f64)> {
        Phase::ALL
            .iter()
            .map(|&p| {
                (
                    p.name(),
                    self.phase_ns[p as usize].load(Ordering::Relaxed) as f64 * 1e-9,
                )
            })
            .collect()
    }

    /// `c (op)= a·W + b` over `m` rows, then LayerNorm per row when `ln` is given.
    #[allow(clippy::too_many_arguments)]
    fn linear(
        &self,
        runner: &Runner,
        m: usize,
        a: &[f32],
        lda: usize,
        w: &PackedLinear,
        c: &mut [f32],
        epi: Epi,
        ln: Option<(&[f32], &[f32])>,
    ) {
        let (k, n) = (w.k, w.n);
        let ldc = n;
        assert!(a.len() >= m * lda && lda >= k && c.len() >= m * ldc);
        let isa = self.isa;
        let ap = SyncPtr(a.as_ptr() as *mut f32);
        let cp = SyncPtr(c.as_mut_ptr());
        let bias = SyncPtr(w.bias.as_ptr() as *mut f32);
        let panels = n / NR;
        let step = isa.nr_tile() / NR;
        if m >= ROW_BLOCK * runner.threads * 2 || runner.threads == 1 {
            // Split rows: each task does full rows, so the LayerNorm can follow immediately while
            // the block is still in cache.
            let blocks = m.div_ceil(ROW_BLOCK);
            runner.for_each(blocks, |bi| {
                let r0 = bi * ROW_BLOCK;
                let rows = ROW_BLOCK.min(m - r0);
                // SAFETY: block bi exclusively owns rows [r0, r0 + rows) of c; a and the weights
                // are only read; bounds were asserted above.
                unsafe {
                    // A few panels at a time, with a pause point in between, so priority work
                    // waits tens of microseconds for the cores, not a whole block.
                    let mut p0 = 0;
                    while p0 < panels {
                        let p1 = (p0 + PANEL_CHUNK).min(panels);
                        if p0 > 0 {
                            runner.pause_point();
                        }
                        kernels::matmul_block(
                            isa,
                            rows,
                            k,
                            ap.get().add(r0 * lda),
                            lda,
                            w.data.as_ptr(),
                            p0,
                            p1,
                            cp.get().add(r0 * ldc),
                            ldc,
                            Some(bias.get()),
                            epi,
                        );
                        p0 = p1;
                    }
                    if let Some((g, b)) = ln {
                        for r in r0..r0 + rows {
                            let row = std::slice::from_raw_parts_mut(cp.get().add(r * ldc), n);
                            kernels::layer_norm_row(isa, row, g, b, LN_EPS);
                        }
                    }
                }
            });
        } else {
            // Few rows (a query): split the output columns instead.
            let chunk = step * (panels / step).div_ceil(runner.threads * 2).max(1);
            let tasks = panels.div_ceil(chunk);
            runner.for_each(tasks, |t| {
                let p0 = t * chunk;
                let p1 = (p0 + chunk).min(panels);
                // SAFETY: task t exclusively owns columns [16·p0, 16·p1) of every row of c.
                unsafe {
                    kernels::matmul_block(
                        isa,
                        m,
                        k,
                        ap.get(),
                        lda,
                        w.data.as_ptr(),
                        p0,
                        p1,
                        cp.get(),
                        ldc,
                        Some(bias.get()),
                        epi,
                    );
                }
            });
            if let Some((g, b)) = ln {
                for row in c[..m * ldc].chunks_exact_mut(ldc) {
                    kernels::layer_norm_row(isa, row, g, b, LN_EPS);
                }
            }
        }
    }

    /// Multi-head self-attention per (sequence, head) over each sequence's own length.
    fn attention(
        &self,
        runner: &Runner,
        seqs: &[&[u32]],
        offsets: &[usize],
        qkv: &[f32],
        ctx: &mut [f32],
        scratch: &[Mutex<AttnScratch>],
    ) {
        let isa = self.isa;
        let ld = 3 * HIDDEN;
        let ctxp = SyncPtr(ctx.as_mut_ptr());
        let qkvp = SyncPtr(qkv.as_ptr() as *mut f32);
        runner.for_each(seqs.len() * HEADS, |task| {
            let (s, head) = (task / HEADS, task % HEADS);
            let len = seqs[s].len();
            let start = offsets[s];
            let slot = rayon::current_thread_index().unwrap_or(0) % scratch.len();
            let mut guard = scratch[slot].lock();
            let sc = &mut *guard;
            // Keys padded to a multiple of 32, so every ISA's tile width divides the panels.
            let lp = len.div_ceil(KEY_PAD) * KEY_PAD;
            // SAFETY: reads rows [start, start+len) of qkv; writes columns
            // [32·head, 32·head + 32) of the same rows of ctx, owned by this task alone.
            unsafe {
                let base = qkvp.get().add(start * ld);
                let q = base.add(head * HEAD_DIM);
                let kbase = base.add(HIDDEN + head * HEAD_DIM);
                let vbase = base.add(2 * HIDDEN + head * HEAD_DIM);
                // Kᵀ packed as panels of 16 keys: kt[p][d][j] = K[16p + j][d], zero past len.
                let kt = &mut sc.kt[..lp * HEAD_DIM];
                for p in 0..lp / NR {
                    let panel = &mut kt[p * HEAD_DIM * NR..(p + 1) * HEAD_DIM * NR];
                    let j0 = p * NR;
                    let keys = NR.min(len.saturating_sub(j0));
                    if keys < NR {
                        panel.fill(0.0);
                    }
                    for jj in 0..keys {
                        let krow = std::slice::from_raw_parts(kbase.add((j0 + jj) * ld), HEAD_DIM);
                        for (d, &v) in krow.iter().enumerate() {
                            panel[d * NR + jj] = v;
                        }
                    }
                }
                // V packed as two panels of 16 dims: vp[p][j][i] = V[j][16p + i].
                let vp = &mut sc.vp[..2 * len * NR];
                for j in 0..len {
                    let vrow = std::slice::from_raw_parts(vbase.add(j * ld), HEAD_DIM);
                    vp[j * NR..(j + 1) * NR].copy_from_slice(&vrow[..NR]);
                    vp[(len + j) * NR..(len + j + 1) * NR].copy_from_slice(&vrow[NR..]);
                }
                // A block of query rows at a time, so its scores stay in L1 between the three
                // steps: S = Q·Kᵀ (scale folded into Q), softmax numerators, CTX = P·V / Σ.
                let out = ctxp.get().add(start * HIDDEN + head * HEAD_DIM);
                let sblk = &mut sc.s[..ATTN_ROWS * lp];
                let mut i0 = 0;
                while i0 < len {
                    let rows = ATTN_ROWS.min(len - i0);
                    kernels::matmul_block(
                        isa,
                        rows,
                        HEAD_DIM,
                        q.add(i0 * ld),
                        ld,
                        kt.as_ptr(),
                        0,
                        lp / NR,
                        sblk.as_mut_ptr(),
                        lp,
                        None,
                        Epi::Store,
                    );
                    let mut inv = [0f32; ATTN_ROWS];
                    for (r, f) in inv.iter_mut().enumerate().take(rows) {
                        *f = 1.0 / kernels::exp_shift_sum(isa, &mut sblk[r * lp..r * lp + len]);
                    }
                    let o = out.add(i0 * HIDDEN);
                    kernels::matmul_block(
                        isa,
                        rows,
                        len,
                        sblk.as_ptr(),
                        lp,
                        vp.as_ptr(),
                        0,
                        2,
                        o,
                        HIDDEN,
                        None,
                        Epi::Store,
                    );
                    for (r, &f) in inv.iter().enumerate().take(rows) {
                        let row = std::slice::from_raw_parts_mut(o.add(r * HIDDEN), HEAD_DIM);
                        row.iter_mut().for_each(|v| *v *= f);
                    }
                    i0 += rows;
                }
            }
        });
    }
}

fn clone_lin(l: &PackedLinear) -> PackedLinear {
    PackedLinear {
        k: l.k,
        n: l.n,
        data: l.data.clone(),
        bias: l.bias.clone(),
    }
}

/// A raw pointer that tasks share; each task touches a disjoint region (see the SAFETY notes).
#[derive(Clone, Copy)]
struct SyncPtr(*mut f32);
unsafe impl Send for SyncPtr {}
unsafe impl Sync for SyncPtr {}
impl SyncPtr {
    #[inline]
    fn get(self) -> *mut f32 {
        self.0
    }
}

struct Runner<'a> {
    gate: Option<&'a Gate>,
    threads: usize,
}

impl Runner<'_> {
    #[inline]
    fn pause_point(&self) {
        if let Some(g) = self.gate {
            g.pause_point();
        }
    }

    /// Run `f(0..n)` on the current rayon pool, one task per index, pausing at the gate before
    /// each task.
    fn for_each(&self, n: usize, f: impl Fn(usize) + Sync + Send) {
        if self.threads <= 1 || n <= 1 {
            for i in 0..n {
                if let Some(g) = self.gate {
                    g.pause_point();
                }
                f(i);
            }
        } else {
            (0..n).into_par_iter().with_max_len(1).for_each(|i| {
                if let Some(g) = self.gate {
                    g.pause_point();
                }
                f(i);
            });
        }
    }
}

/// Per-thread attention scratch, sized for the longest sequence.
pub struct AttnScratch {
    kt: Vec<f32>,
    vp: Vec<f32>,
    s: Vec<f32>,
}

impl AttnScratch {
    fn new() -> Self {
        AttnScratch {
            kt: vec![0.0; MAX_POS * HEAD_DIM],
            vp: vec![0.0; MAX_POS * HEAD_DIM],
            s: Vec::new(),
        }
    }
}

/// Activation buffers, grown to the largest batch seen and then reused.
pub struct Workspace {
    x: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    h: Vec<f32>,
    offsets: Vec<usize>,
    scratch: Vec<Mutex<AttnScratch>>,
}

impl Workspace {
    pub fn new(threads: usize) -> Self {
        Workspace {
            x: Vec::new(),
            qkv: Vec::new(),
            ctx: Vec::new(),
            h: Vec::new(),
            offsets: Vec::new(),
            scratch: (0..threads.max(1))
                .map(|_| Mutex::new(AttnScratch::new()))
                .collect(),
        }
    }

    fn prepare(&mut self, seqs: &[&[u32]], total: usize) {
        fn grow(v: &mut Vec<f32>, n: usize) {
            if v.len() < n {
                v.resize(n, 0.0);
            }
        }
        grow(&mut self.x, total * HIDDEN);
        grow(&mut self.qkv, total * 3 * HIDDEN);
        grow(&mut self.ctx, total * HIDDEN);
        grow(&mut self.h, total * FFN);
        self.offsets.clear();
        let mut acc = 0;
        let mut longest = 0;
        for s in seqs {
            assert!(
                !s.is_empty() && s.len() <= MAX_POS,
                "sequence length {}",
                s.len()
            );
            self.offsets.push(acc);
            acc += s.len();
            longest = longest.max(s.len());
        }
        let lp = longest.div_ceil(KEY_PAD) * KEY_PAD;
        let threads = rayon::current_num_threads();
        if self.scratch.len() < threads {
            self.scratch
                .resize_with(threads, || Mutex::new(AttnScratch::new()));
        }
        for sc in &self.scratch {
            grow(&mut sc.lock().s, ATTN_ROWS * lp);
        }
    }

    /// Bytes held by the buffers.
    pub fn bytes(&self) -> usize {
        4 * (self.x.capacity() + self.qkv.capacity() + self.ctx.capacity() + self.h.capacity())
    }
}

/// Priority gate: bulk work stops at its next task boundary while any priority (query) work is
/// running, so a query gets the cores within one task's time instead of sharing them.
#[derive(Default)]
pub struct Gate {
    priority: AtomicUsize,
    lock: Mutex<()>,
    cv: Condvar,
}

impl Gate {
    pub fn enter_priority(&self) -> PriorityGuard<'_> {
        self.priority.fetch_add(1, Ordering::SeqCst);
        PriorityGuard { gate: self }
    }

    #[inline]
    pub fn pause_point(&self) {
        if self.priority.load(Ordering::SeqCst) > 0 {
            let mut g = self.lock.lock();
            while self.priority.load(Ordering::SeqCst) > 0 {
                self.cv.wait(&mut g);
            }
        }
    }
}

pub struct PriorityGuard<'a> {
    gate: &'a Gate,
}

impl Drop for PriorityGuard<'_> {
    fn drop(&mut self) {
        if self.gate.priority.fetch_sub(1, Ordering::SeqCst) == 1 {
            let _g = self.gate.lock.lock();
            self.gate.cv.notify_all();
        }
    }
}
