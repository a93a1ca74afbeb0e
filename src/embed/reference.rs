//! The straightforward path: BERT written on plain candle tensor ops, the way a stock
//! implementation does it (padded batches, additive attention mask, one op per step).
//!
//! It exists as a baseline for `newsdesk bench embed` and as an independent check of the fast
//! encoder; nothing on the serving path uses it.

use super::encoder::{FFN, HEADS, HEAD_DIM, HIDDEN, LAYERS, LN_EPS};
use super::{EmbedError, DIM};
use candle_core::{safetensors::MmapedSafetensors, DType, Device, Tensor, D};
use std::path::Path;

struct RefLayer {
    wq: Tensor,
    bq: Tensor,
    wk: Tensor,
    bk: Tensor,
    wv: Tensor,
    bv: Tensor,
    wo: Tensor,
    bo: Tensor,
    ln1: (Tensor, Tensor),
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
    ln2: (Tensor, Tensor),
}

pub struct ReferenceModel {
    word: Tensor,
    pos: Tensor,
    typ: Tensor,
    emb_ln: (Tensor, Tensor),
    layers: Vec<RefLayer>,
}

fn be(e: candle_core::Error) -> EmbedError {
    EmbedError::Backend(e.to_string())
}

fn layer_norm(x: &Tensor, ln: &(Tensor, Tensor)) -> candle_core::Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let xc = x.broadcast_sub(&mean)?;
    let var = xc.sqr()?.mean_keepdim(D::Minus1)?;
    let xn = xc.broadcast_div(&(var + LN_EPS as f64)?.sqrt()?)?;
    xn.broadcast_mul(&ln.0)?.broadcast_add(&ln.1)
}

/// `x·wᵀ + b` for `x: [B, L, in]`, `w: [out, in]`.
fn linear(x: &Tensor, w: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    x.broadcast_matmul(&w.t()?)?.broadcast_add(b)
}

impl ReferenceModel {
    pub fn load(safetensors: &Path) -> Result<ReferenceModel, EmbedError> {
        // SAFETY: read-only map of a verified model file.
        let st = unsafe { MmapedSafetensors::new(safetensors) }.map_err(be)?;
        let dev = Device::Cpu;
        let get = |n: &str| {
            st.load(n, &dev)
                .and_then(|t| t.to_dtype(DType::F32))
                .map_err(be)
        };
        let mut layers = Vec::new();
        for l in 0..LAYERS {
            let p = |s: &str| format!("encoder.layer.{l}.{s}");
            layers.push(RefLayer {
                wq: get(&p("attention.self.query.weight"))?,
                bq: get(&p("attention.self.query.bias"))?,
                wk: get(&p("attention.self.key.weight"))?,
                bk: get(&p("attention.self.key.bias"))?,
                wv: get(&p("attention.self.value.weight"))?,
                bv: get(&p("attention.self.value.bias"))?,
                wo: get(&p("attention.output.dense.weight"))?,
                bo: get(&p("attention.output.dense.bias"))?,
                ln1: (
                    get(&p("attention.output.LayerNorm.weight"))?,
                    get(&p("attention.output.LayerNorm.bias"))?,
                ),
                w1: get(&p("intermediate.dense.weight"))?,
                b1: get(&p("intermediate.dense.bias"))?,
                w2: get(&p("output.dense.weight"))?,
                b2: get(&p("output.dense.bias"))?,
                ln2: (
                    get(&p("output.LayerNorm.weight"))?,
                    get(&p("output.LayerNorm.bias"))?,
                ),
            });
        }
        Ok(ReferenceModel {
            word: get("embeddings.word_embeddings.weight")?,
            pos: get("embeddings.position_embeddings.weight")?,
            typ: get("embeddings.token_type_embeddings.weight")?,
            emb_ln: (
                get("embeddings.LayerNorm.weight")?,
                get("embeddings.LayerNorm.bias")?,
            ),
            layers,
        })
    }

    /// One padded batch: `ids[i]` are token ids with specials. Returns `ids.len() × DIM`.
    pub fn forward(&self, ids: &[&[u32]]) -> Result<Vec<f32>, EmbedError> {
        self.forward_inner(ids).map_err(be)
    }

    fn forward_inner(&self, ids: &[&[u32]]) -> candle_core::Result<Vec<f32>> {
        let dev = Device::Cpu;
        let b = ids.len();
        let l = ids.iter().map(|s| s.len()).max().unwrap_or(1);
        let mut flat = vec![0u32; b * l];
        let mut mask = vec![0f32; b * l];
        for (i, s) in ids.iter().enumerate() {
            flat[i * l..i * l + s.len()].copy_from_slice(s);
            mask[i * l..i * l + s.len()]
                .iter_mut()
                .for_each(|m| *m = 1.0);
        }
        let ids_t = Tensor::from_vec(flat, (b * l,), &dev)?;
        let mask_t = Tensor::from_vec(mask, (b, l), &dev)?;
        let x = self.word.index_select(&ids_t, 0)?.reshape((b, l, HIDDEN))?;
        let x = x.broadcast_add(&self.pos.narrow(0, 0, l)?)?;
        let x = x.broadcast_add(&self.typ.narrow(0, 0, 1)?)?;
        let mut x = layer_norm(&x, &self.emb_ln)?;
        // Additive mask: 0 for tokens, a large negative for padding.
        let bias = ((mask_t.clone() - 1.0)? * 1e9)?.reshape((b, 1, 1, l))?;
        let scale = 1.0 / (HEAD_DIM as f64).sqrt();
        for ly in &self.layers {
            let heads = |t: Tensor| -> candle_core::Result<Tensor> {
                t.reshape((b, l, HEADS, HEAD_DIM))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let q = heads(linear(&x, &ly.wq, &ly.bq)?)?;
            let k = heads(linear(&x, &ly.wk, &ly.bk)?)?;
            let v = heads(linear(&x, &ly.wv, &ly.bv)?)?;
            let scores = (q.matmul(&k.t()?.contiguous()?)? * scale)?.broadcast_add(&bias)?;
            let max = scores.max_keepdim(D::Minus1)?;
            let e = scores.broadcast_sub(&max)?.exp()?;
            let p = e.broadcast_div(&e.sum_keepdim(D::Minus1)?)?;
            let ctx = p
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b, l, HIDDEN))?;
            x = layer_norm(&(linear(&ctx, &ly.wo, &ly.bo)? + &x)?, &ly.ln1)?;
            let h = linear(&x, &ly.w1, &ly.b1)?.gelu_erf()?;
            debug_assert_eq!(h.dim(D::Minus1)?, FFN);
            x = layer_norm(&(linear(&h, &ly.w2, &ly.b2)? + &x)?, &ly.ln2)?;
        }
        let m = mask_t.reshape((b, l, 1))?;
        let summed = x.broadcast_mul(&m)?.sum(1)?;
        let counts = m.sum(1)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        let out = mean.broadcast_div(&norm)?;
        debug_assert_eq!(out.dims(), &[b, DIM]);
        out.flatten_all()?.to_vec1::<f32>()
    }
}
