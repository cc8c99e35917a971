// The teacher-forced attention decoder's time loop in C++: the same steps as
// rnnkit/engine/attention.py (the reference), over the cells of loop.h.  Each step's products
// use weights packed once for the step's rows; the weight gradients are single products over all
// steps after the loop.  Scores: 0 dot, 1 general (keys made outside), 2 additive.
#pragma once
#include "loop.h"

#include <limits>

namespace {

enum ScoreId : int64_t { DOT = 0, GENERAL = 1, ADDITIVE = 2 };

// Per batch row b, over x [B, n, K]: y[b, i] = x[b, i] . w[b] (w [B, K], y [B, n]).  A batched
// matrix-vector product, which torch's bmm runs about ten times slower at these sizes.
template <typename T>
void dots(const Tensor& x, const T* w, T* y) {
  const int64_t B = x.size(0), n = x.size(1), K = x.size(2);
  const T* xp = ptr<T>(x);
  at::parallel_for(0, B, std::max<int64_t>(1, PARALLEL_MIN_ELEMENTS / (n * K)), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b)
      for (int64_t i = 0; i < n; ++i) {
        const T *xr = xp + (b * n + i) * K, *wr = w + b * K;
        Vec<T> acc(0);
        vloop<T>(K, [&](int64_t j, int64_t k) { acc = acc + ld(xr + j, k) * ld(wr + j, k); });
        y[b * n + i] = hsum(acc);
      }
  });
}

// Per batch row b: y[b] (+)= sum_i a[b, i] x[b, i] (a [B, n], y [B, K]; y's rows `stride` apart).
template <typename T>
void weighted_sums(const Tensor& x, const T* a, T* y, int64_t stride, bool add) {
  const int64_t B = x.size(0), n = x.size(1), K = x.size(2);
  const T* xp = ptr<T>(x);
  at::parallel_for(0, B, std::max<int64_t>(1, PARALLEL_MIN_ELEMENTS / (n * K)), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      T* yr = y + b * stride;
      if (!add) zero_row(yr, K);
      for (int64_t i = 0; i < n; ++i) {
        const T* xr = xp + (b * n + i) * K;
        const Vec<T> w(a[b * n + i]);
        vloop<T>(K, [&](int64_t j, int64_t k) { st(ld(yr + j, k) + w * ld(xr + j, k), yr + j, k); });
      }
    }
  });
}

template <typename T>
struct Attend {
  int64_t S, D, A;
  ScoreId score;
  Tensor values, keys, padding, w_c, w_q, v;   // values [B, S, D]; keys [B, S, K]; padding [B, S] bool

  // e_t [B, S] = scores of the top state s [B, H] (additive: also its tanh [B, S, A] into hidden)
  Tensor scores(const Tensor& s, const Tensor& q, T* hidden) const {
    const int64_t B = s.size(0);
    Tensor e = at::empty({B, S}, s.options());
    if (score != ADDITIVE) {
      dots<T>(keys, ptr<T>(s), ptr<T>(e));
      return e;
    }
    const T *qp = ptr<T>(q), *kp = ptr<T>(keys), *vp = ptr<T>(v);
    T* ep = ptr<T>(e);
    at::parallel_for(0, B * S, 1, [&](int64_t begin, int64_t end) {
      for (int64_t bs = begin; bs < end; ++bs) {
        const T *qr = qp + (bs / S) * A, *kr = kp + bs * A;
        T* hr = hidden + bs * A;
        T sum = 0;
        for (int64_t a = 0; a < A; ++a) { hr[a] = std::tanh(qr[a] + kr[a]); sum += hr[a] * vp[a]; }
        ep[bs] = sum;
      }
    });
    return e;
  }
  // alpha [B, S] = softmax of e over the positions that are not padding
  void softmax(const Tensor& e, T* alpha) const {
    const int64_t B = e.size(0);
    const T* ep = ptr<T>(e);
    const bool* pad = ptr<bool>(padding);
    for (int64_t b = 0; b < B; ++b) {
      const T* er = ep + b * S;
      T* ar = alpha + b * S;
      T top = -std::numeric_limits<T>::infinity(), sum = 0;
      for (int64_t i = 0; i < S; ++i) if (!pad[b * S + i]) top = std::max(top, er[i]);
      for (int64_t i = 0; i < S; ++i) { ar[i] = pad[b * S + i] ? T(0) : std::exp(er[i] - top); sum += ar[i]; }
      for (int64_t i = 0; i < S; ++i) ar[i] /= sum;
    }
  }
};

template <typename T>
Attend<T> make_attend(int64_t score, const Tensor& memory, const c10::optional<Tensor>& keys, const Tensor& mask,
                      const Tensor& w_c, const c10::optional<Tensor>& w_q, const c10::optional<Tensor>& v) {
  Attend<T> at_;
  at_.score = static_cast<ScoreId>(score);
  at_.S = memory.size(0); at_.D = memory.size(2);
  at_.values = memory.transpose(0, 1).contiguous();
  at_.keys = score == DOT ? at_.values : keys->transpose(0, 1).contiguous();
  at_.padding = mask.logical_not().t().contiguous();
  at_.w_c = w_c.contiguous();
  at_.A = score == ADDITIVE ? w_q->size(0) : 0;
  if (score == ADDITIVE) { at_.w_q = w_q->contiguous(); at_.v = v->reshape({-1}).contiguous(); }
  return at_;
}

// The previous state of step t: h_{t-1} (or c_{t-1}), the initial one at t = 0
inline Tensor before(const Tensor& states, const Tensor& first, int64_t t) { return t == 0 ? first : states[t - 1]; }

template <typename T, typename Cell>
std::vector<Tensor> attention_forward_impl(Loop<T> L, const Attend<T>& M, const Tensor& P, const Tensor& w_feed,
                                           const Tensor& drop, const Tensor& feed0) {
  const int64_t nT = L.nT, B = L.B, H = L.H, G = P.size(2), ns = L.states0.size(), D = M.D, S = M.S;
  L.bufs = Cell::bufs(L);
  L.pack_forward(Cell::blocks(L));
  L.hs = L.new_buf(H);
  if (ns == 2) L.cs = L.new_buf(H);
  if (drop.defined()) L.U = L.new_buf(H);
  Weight wf(w_feed, B, nT), wc(M.w_c, B, nT), wq;
  if (M.score == ADDITIVE) wq = Weight(M.w_q, B, nT);
  Tensor feeds = pooled({nT + 1, B, H}, P.scalar_type()), alpha = L.new_buf(S), combined = L.new_buf(D + H);
  Tensor hidden = M.score == ADDITIVE ? pooled({nT, B, S, M.A}, P.scalar_type()) : Tensor();
  feeds[0].copy_(feed0);
  for (int64_t t = 0; t < nT; ++t) {
    Tensor fx = wf.times(feeds[t]);                                      // xg_t = P_t + W_f h~_{t-1}
    const T *pp = ptr<T>(P) + t * B * G, *fp = ptr<T>(fx);
    T* xp = ptr<T>(L.xg) + t * B * G;
    vloop<T>(B * G, [&](int64_t j, int64_t k) { st(ld(pp + j, k) + ld(fp + j, k), xp + j, k); });
    Tensor hp = before(L.hs, L.states0[0], t), cp = ns == 2 ? before(L.cs, L.states0[1], t) : Tensor();
    Tensor u = hp;
    if (drop.defined()) { u = L.U[t]; at::mul_out(u, hp, drop[t]); }
    Cell::forward(L, t, hp, cp, u);
    Tensor s = L.hs[t];
    Tensor e = M.scores(s, M.score == ADDITIVE ? wq.times(s) : Tensor(),
                        M.score == ADDITIVE ? ptr<T>(hidden) + t * B * S * M.A : nullptr);
    M.softmax(e, ptr<T>(alpha) + t * B * S);
    weighted_sums<T>(M.values, ptr<T>(alpha) + t * B * S, ptr<T>(combined) + t * B * (D + H), D + H, false);
    combined[t].narrow(1, D, H).copy_(s);                                // [a_t; s_t]
    Tensor next = feeds[t + 1];
    at::tanh_out(next, wc.times(combined[t]));
  }
  return {feeds, alpha, combined, hidden, L.xg, L.hs, L.cs, L.U, L.bufs.size() > 0 ? L.bufs[0] : Tensor(),
          L.bufs.size() > 1 ? L.bufs[1] : Tensor(), L.bufs.size() > 2 ? L.bufs[2] : Tensor(),
          L.bufs.size() > 3 ? L.bufs[3] : Tensor(), L.bufs.size() > 4 ? L.bufs[4] : Tensor(),
          L.bufs.size() > 5 ? L.bufs[5] : Tensor()};
}

template <typename T, typename Cell>
std::vector<Tensor> attention_backward_impl(int64_t cell, Loop<T> L, const Attend<T>& M, const Tensor& w_feed,
                                            const Tensor& drop, const std::vector<Tensor>& saved,
                                            const Tensor& dfeeds_in, const Tensor& dalpha_in) {
  const int64_t nT = L.nT, B = L.B, H = L.H, ns = L.states0.size(), D = M.D, S = M.S, A = M.A;
  const Tensor &feeds = saved[0], &alpha = saved[1], &combined = saved[2], &hidden = saved[3];
  L.hs = saved[5]; L.cs = saved[6]; L.U = saved[7];
  for (size_t k = 8; k < saved.size() && saved[k].defined(); ++k) L.bufs.push_back(saved[k]);
  L.pack_backward(Cell::blocks(L));
  Weight wf(w_feed.t(), B, nT), wc(M.w_c.t(), B, nT), wq;
  if (M.score == ADDITIVE) wq = Weight(M.w_q.t(), B, nT);
  Tensor dfeeds = dfeeds_in.contiguous(), dalpha_out = dalpha_in.contiguous();
  Tensor dxg = L.new_buf(L.xg.size(2)), dz = L.new_buf(H), da = L.new_buf(D), de = L.new_buf(S), ds_all = L.new_buf(H);
  Tensor dhidden = M.score == ADDITIVE ? pooled({nT, B, S, A}, feeds.scalar_type()) : Tensor();
  Tensor dh = at::zeros({B, H}, feeds.options()), dc = ns == 2 ? at::zeros({B, H}, feeds.options()) : Tensor();
  Tensor dfeed = at::zeros({B, H}, feeds.options());
  std::vector<Tensor> bb = backward_buffers(cell, L);
  for (int64_t t = nT - 1; t >= 0; --t) {
    {   // dz_t = (dh~_t) (1 - h~_t^2)
      const T *g = ptr<T>(dfeeds) + t * B * H, *g2 = ptr<T>(dfeed), *f = ptr<T>(feeds) + (t + 1) * B * H;
      T* z = ptr<T>(dz) + t * B * H;
      vloop<T>(B * H, [&](int64_t j, int64_t k) {
        Vec<T> fv = ld(f + j, k);
        st((ld(g + j, k) + ld(g2 + j, k)) * (Vec<T>(1) - fv * fv), z + j, k);
      });
    }
    Tensor dcomb = wc.times(dz[t]);                                      // [da; ds] = dz W_c
    da[t].copy_(dcomb.narrow(1, 0, D));
    Tensor ds = ds_all[t];
    ds.copy_(dcomb.narrow(1, D, H));
    Tensor dalpha = at::empty({B, S}, feeds.options());
    dots<T>(M.values, ptr<T>(da) + t * B * D, ptr<T>(dalpha));
    {   // de = alpha (dalpha - alpha . dalpha)
      const T *ap = ptr<T>(alpha) + t * B * S, *gp = ptr<T>(dalpha), *go = ptr<T>(dalpha_out) + t * B * S;
      T* ep = ptr<T>(de) + t * B * S;
      for (int64_t b = 0; b < B; ++b) {
        T dot = 0;
        for (int64_t i = 0; i < S; ++i) dot += ap[b * S + i] * (gp[b * S + i] + go[b * S + i]);
        for (int64_t i = 0; i < S; ++i) ep[b * S + i] = ap[b * S + i] * (gp[b * S + i] + go[b * S + i] - dot);
      }
    }
    if (M.score == ADDITIVE) {
      const T *hp = ptr<T>(hidden) + t * B * S * A, *ep = ptr<T>(de) + t * B * S, *vp = ptr<T>(M.v);
      T* dp = ptr<T>(dhidden) + t * B * S * A;
      for (int64_t bs = 0; bs < B * S; ++bs)
        for (int64_t a = 0; a < A; ++a) dp[bs * A + a] = ep[bs] * vp[a] * (1 - hp[bs * A + a] * hp[bs * A + a]);
      ds.add_(wq.times(dhidden[t].sum(1)));
    } else {
      weighted_sums<T>(M.keys, ptr<T>(de) + t * B * S, ptr<T>(ds), H, true);
    }
    Tensor hp = before(L.hs, L.states0[0], t), cp = ns == 2 ? before(L.cs, L.states0[1], t) : Tensor();
    Tensor u = drop.defined() ? L.U[t] : hp;
    if (drop.defined()) L.drop = drop[t];
    Tensor dxg_t = dxg[t];
    Cell::backward(L, t, hp, cp, u, dh, dc, ds_all, dxg_t, bb);
    dfeed = wf.times(dxg_t);                                             // dh~_{t-1} from xg_t
  }
  auto flat = [](const Tensor& x) { return x.reshape({-1, x.size(-1)}); };
  Tensor U = L.U;
  if (!U.defined()) {
    Tensor h0 = L.states0[0].unsqueeze(0);
    U = nT == 1 ? h0 : at::cat({h0, L.hs.narrow(0, 0, nT - 1)});
  }
  auto [dw_hh, db_hh, dextras] = param_grads(cell, L, dxg, U, bb);
  Tensor dw_feed = mm_tn(flat(dxg), flat(feeds.narrow(0, 0, nT)));
  Tensor dw_c = mm_tn(flat(dz), flat(combined));
  Tensor dmemory = at::bmm(alpha.permute({1, 2, 0}), da.transpose(0, 1)).transpose(0, 1);   // [S, B, D]
  Tensor dkeys, dw_q, dv;
  if (M.score == ADDITIVE) {
    dkeys = dhidden.sum(0).transpose(0, 1);
    dw_q = mm_tn(flat(dhidden.sum(2)), flat(L.hs));
    dv = (de.unsqueeze(3) * hidden).sum({0, 1, 2}).unsqueeze(0);
  } else {
    dkeys = at::bmm(de.permute({1, 2, 0}), L.hs.transpose(0, 1)).transpose(0, 1);             // [S, B, K]
    if (M.score == DOT) { dmemory = dmemory + dkeys; dkeys = Tensor(); }
  }
  std::vector<Tensor> out = {dxg, dw_feed, dw_hh, db_hh, dmemory.contiguous(), dkeys, dw_c, dw_q, dv, dfeed, dh, dc};
  for (auto& e : dextras) out.push_back(e);
  return out;
}

}  // namespace
