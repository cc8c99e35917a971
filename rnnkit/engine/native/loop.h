// The engine's time loop in C++: the same steps as rnnkit/engine/loop.py and the cells of
// rnnkit/cells/, with the pointwise gate maths of a step fused into one vectorised pass per
// batch row and the matrix products written straight into preallocated buffers.  This header
// holds the loop, the cells and a one-stream stepper; loop.cpp exposes the whole-sequence
// forward and backward, and other extensions (rnnkit/decoding/native/) build on the stepper.
// Built on first use by rnnkit/engine/native.py; the Python loop stays the reference.
#pragma once
#include <torch/extension.h>
#include <ATen/Parallel.h>
#include <ATen/cpu/vec/vec.h>
#include <ATen/ops/mm_cpu_dispatch.h>

#include <ATen/EmptyTensor.h>

#include <cmath>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <algorithm>
#include <functional>
#include <unordered_map>
#include <tuple>
#include <vector>

namespace {

using at::Tensor;
template <typename T> using Vec = at::vec::Vectorized<T>;

enum CellId : int64_t { RNN_TANH = 0, RNN_RELU = 1, LSTM = 2, LSTM_LN = 3, GRU_AFTER = 4, GRU_BEFORE = 5 };
constexpr double LN_EPS = 1e-5;
constexpr int64_t PARALLEL_MIN_ELEMENTS = 16384;   // per step, below which one thread is faster

// ---- vector helpers -----------------------------------------------------------------------
// f(j, k) over [0, n) in chunks of the vector width; k < width only for the tail.
template <typename T, typename F>
inline void vloop(int64_t n, F&& f) {
  constexpr int64_t W = Vec<T>::size();
  int64_t j = 0;
  for (; j + W <= n; j += W) f(j, W);
  if (j < n) f(j, n - j);
}
template <typename T> inline Vec<T> ld(const T* p, int64_t k) {
  return k == Vec<T>::size() ? Vec<T>::loadu(p) : Vec<T>::loadu(p, k);
}
template <typename T> inline void st(const Vec<T>& v, T* p, int64_t k) {
  if (k == Vec<T>::size()) v.store(p); else v.store(p, k);
}
template <typename T> inline Vec<T> sigm(const Vec<T>& x) { return (Vec<T>(1) + x.neg().exp()).reciprocal(); }
template <typename T> inline T hsum(const Vec<T>& v) {
  T buf[Vec<T>::size()];
  v.store(buf);
  T s = 0;
  for (int64_t i = 0; i < Vec<T>::size(); ++i) s += buf[i];
  return s;
}
// mean and reciprocal standard deviation of a row (two passes, as torch's layer_norm)
template <typename T> inline void moments(const T* x, int64_t n, T& mean, T& rstd) {
  Vec<T> acc(0);
  vloop<T>(n, [&](int64_t j, int64_t k) { acc = acc + ld(x + j, k); });
  mean = hsum(acc) / n;
  Vec<T> m(mean), acc2(0);
  vloop<T>(n, [&](int64_t j, int64_t k) {
    Vec<T> d = ld(x + j, k) - m;
    acc2 = acc2 + (k == Vec<T>::size() ? d * d : Vec<T>::set(Vec<T>(0), d * d, k));
  });
  rstd = T(1) / std::sqrt(hsum(acc2) / n + T(LN_EPS));
}
// gradient through xhat = (x - mean) * rstd: rstd (g - mean(g) - xhat mean(g xhat)), g = dy * gain;
// written into dx, or added to it
template <typename T>
inline void normalize_backward(const T* dy, const T* gain, const T* xhat, T rstd, int64_t n, T* dx,
                               bool accumulate = false) {
  Vec<T> s1(0), s2(0);
  vloop<T>(n, [&](int64_t j, int64_t k) {
    Vec<T> g = ld(dy + j, k) * ld(gain + j, k);
    s1 = s1 + g;
    s2 = s2 + g * ld(xhat + j, k);
  });
  Vec<T> m1(hsum(s1) / n), m2(hsum(s2) / n), r(rstd);
  vloop<T>(n, [&](int64_t j, int64_t k) {
    Vec<T> g = ld(dy + j, k) * ld(gain + j, k), v = r * (g - m1 - ld(xhat + j, k) * m2);
    st(accumulate ? ld(dx + j, k) + v : v, dx + j, k);
  });
}
template <typename T> inline T* ptr(const Tensor& x) { return x.data_ptr<T>(); }
template <typename T> inline void zero_row(T* p, int64_t n) { std::fill(p, p + n, T(0)); }

// ---- matrix products ----------------------------------------------------------------------
// Products a [M, K] times w [N, K] transposed.  float32 goes to oneDNN through the ops torch
// registers for its compiler (mkldnn::_linear_pointwise, with weights packed once by
// mkldnn::_reorder_linear_weight for the per-step products); on AMD CPUs it runs about twice
// as fast as MKL.  float64, and builds of torch without those ops, use torch's CPU matmul.
using LinearFn = Tensor(const Tensor&, const Tensor&, const std::optional<Tensor>&, std::string_view,
                        c10::List<std::optional<at::Scalar>>, std::optional<std::string_view>);
using ReorderFn = Tensor(const Tensor&, std::optional<int64_t>);

template <typename Fn>
const c10::TypedOperatorHandle<Fn>* find_op(const char* name) {
  auto op = c10::Dispatcher::singleton().findOp({name, ""});
  if (!op.has_value()) return nullptr;
  try {
    return new c10::TypedOperatorHandle<Fn>(op->typed<Fn>());
  } catch (const std::exception&) {
    return nullptr;
  }
}
const c10::TypedOperatorHandle<LinearFn>* onednn_linear() {
  static const auto* op = find_op<LinearFn>("mkldnn::_linear_pointwise");
  return op;
}
const c10::TypedOperatorHandle<ReorderFn>* onednn_reorder() {
  static const auto* op = find_op<ReorderFn>("mkldnn::_reorder_linear_weight");
  return op;
}
inline bool use_onednn(const Tensor& w) {
  return w.scalar_type() == at::kFloat && onednn_linear() != nullptr && onednn_reorder() != nullptr;
}
// oneDNN has fast kernels for dense operands (row-major or transposed) only; a strided slice
// such as one gate block of a row would send it to its reference implementation
inline Tensor dense(const Tensor& x) {
  return x.is_contiguous() || (x.dim() == 2 && x.t().is_contiguous()) ? x : x.contiguous();
}
inline Tensor onednn_times(const Tensor& a, const Tensor& w) {
  return onednn_linear()->call(dense(a), w.is_mkldnn() ? w : dense(w), std::nullopt, "none",
                               c10::List<std::optional<at::Scalar>>(), std::nullopt);
}

// One row a [1, K] times w [N, K] transposed: a dot product per row of w, four rows at a time,
// the rows shared by the threads.  Generation steps one stream, where this is a matrix-vector
// product whose time is reading w; oneDNN's general product takes about 1.7x as long there.
template <typename T>
Tensor row_times(const Tensor& a, const Tensor& w) {
  const int64_t N = w.size(0), K = w.size(1);
  Tensor y = at::empty({1, N}, a.options());
  const T *x = ptr<T>(a), *wp = ptr<T>(w);
  T* yp = ptr<T>(y);
  auto rows = [&](int64_t begin, int64_t end) {   // rows [begin, end) in blocks of 4
    int64_t r = begin;
    for (; r + 4 <= end; r += 4) {
      Vec<T> s0(0), s1(0), s2(0), s3(0);
      const T *w0 = wp + r * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
      vloop<T>(K, [&](int64_t j, int64_t k) {
        const Vec<T> v = ld(x + j, k);   // zero past the tail, so the tail adds nothing
        s0 = at::vec::fmadd(ld(w0 + j, k), v, s0);
        s1 = at::vec::fmadd(ld(w1 + j, k), v, s1);
        s2 = at::vec::fmadd(ld(w2 + j, k), v, s2);
        s3 = at::vec::fmadd(ld(w3 + j, k), v, s3);
      });
      yp[r] = hsum(s0); yp[r + 1] = hsum(s1); yp[r + 2] = hsum(s2); yp[r + 3] = hsum(s3);
    }
    for (; r < end; ++r) {
      Vec<T> s0(0);
      vloop<T>(K, [&](int64_t j, int64_t k) { s0 = at::vec::fmadd(ld(wp + r * K + j, k), ld(x + j, k), s0); });
      yp[r] = hsum(s0);
    }
  };
  const int64_t blocks = (N + 3) / 4, grain = std::max<int64_t>(1, PARALLEL_MIN_ELEMENTS / (4 * K));
  if (blocks <= grain) {
    rows(0, N);
  } else {
    at::parallel_for(0, blocks, grain, [&](int64_t b, int64_t e) { rows(4 * b, std::min(N, 4 * e)); });
  }
  return y;
}
inline bool one_row(const Tensor& a, const Tensor& w) {
  return a.dim() == 2 && a.size(0) == 1 && a.is_contiguous() && w.is_contiguous() && !w.is_mkldnn() &&
         a.scalar_type() == w.scalar_type() && (w.scalar_type() == at::kFloat || w.scalar_type() == at::kDouble);
}
inline Tensor row_product(const Tensor& a, const Tensor& w) {
  return w.scalar_type() == at::kFloat ? row_times<float>(a, w) : row_times<double>(a, w);
}

// a w^T, one-off
inline Tensor mm_nt(const Tensor& a, const Tensor& w) {
  if (one_row(a, w)) return row_product(a, w);
  return use_onednn(w) ? onednn_times(a, w) : at::cpu::mm(a, w.t());
}

// a w^T + b, one-off (oneDNN adds the bias in its product)
inline Tensor affine(const Tensor& a, const Tensor& w, const c10::optional<Tensor>& b) {
  if (one_row(a, w)) return b.has_value() ? row_product(a, w).add_(*b) : row_product(a, w);
  if (use_onednn(w))
    return onednn_linear()->call(dense(a), dense(w), b, "none", c10::List<std::optional<at::Scalar>>(), std::nullopt);
  return b.has_value() ? at::addmm(*b, a, w.t()) : at::mm(a, w.t());
}

// a^T b, for weight gradients (a reduction over the rows of a and b).  Over many rows (a whole
// sequence's) oneDNN computes it a little faster as (b^T a)^T; over a step's few rows the
// transposing copy would cost as much as the product, up to 8x as much.
constexpr int64_t TRANSPOSED_MIN_ROWS = 512;
inline Tensor mm_tn(const Tensor& a, const Tensor& b) {
  if (!use_onednn(a)) return at::cpu::mm(a.t(), b);
  return a.size(0) >= TRANSPOSED_MIN_ROWS ? onednn_times(b.t(), a.t()).t().contiguous() : onednn_times(a.t(), b.t());
}

// A right operand used at every step: packed once for batches of `rows` rows when it will be
// used often enough to repay the packing.
constexpr int64_t PACK_MIN_USES = 4;

struct Weight {
  Tensor w, packed;
  Weight() = default;
  Weight(const Tensor& w_, int64_t rows, int64_t uses = PACK_MIN_USES) : w(w_) {
    if (use_onednn(w) && uses >= PACK_MIN_USES) packed = onednn_reorder()->call(w.contiguous(), rows);
  }
  Tensor times(const Tensor& a) const {
    if (one_row(a, w)) return row_product(a, w);
    return packed.defined() ? onednn_times(a, packed) : mm_nt(a, w);
  }
};

// ---- buffers --------------------------------------------------------------------------------
// The loop's buffers come from a pool that keeps freed blocks by size for reuse.  Every call of
// a training loop asks for the same shapes, so after the first call no page is mapped and
// zeroed again (fresh pages cost a quarter of an LSTM's time here).  At most POOL_CAP bytes
// are kept; the rest goes back to the system.
constexpr size_t POOL_CAP = size_t(1) << 30;
constexpr size_t POOL_HEADER = 64;   // holds the block's size, keeps the data 64-byte aligned

class BufferPool final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) override {
    void* base = take(n);
    return {static_cast<char*>(base) + POOL_HEADER, base, &release, c10::Device(c10::DeviceType::CPU)};
  }
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }

 private:
  static std::mutex& mutex() { static auto* m = new std::mutex(); return *m; }
  static std::unordered_map<size_t, std::vector<void*>>& blocks() {
    static auto* b = new std::unordered_map<size_t, std::vector<void*>>();   // never destroyed: frees may come at exit
    return *b;
  }
  static size_t& cached() { static size_t c = 0; return c; }
  static void* take(size_t n) {
    {
      std::lock_guard<std::mutex> guard(mutex());
      auto it = blocks().find(n);
      if (it != blocks().end() && !it->second.empty()) {
        void* base = it->second.back();
        it->second.pop_back();
        cached() -= n;
        return base;
      }
    }
    void* base = std::aligned_alloc(POOL_HEADER, (n + 2 * POOL_HEADER - 1) / POOL_HEADER * POOL_HEADER);
    TORCH_CHECK(base != nullptr, "rnnkit: out of memory allocating ", n, " bytes");
    *static_cast<size_t*>(base) = n;
    return base;
  }
  static void release(void* base) {
    const size_t n = *static_cast<size_t*>(base);
    {
      std::lock_guard<std::mutex> guard(mutex());
      if (cached() + n <= POOL_CAP) {
        blocks()[n].push_back(base);
        cached() += n;
        return;
      }
    }
    std::free(base);
  }
};

inline Tensor pooled(at::IntArrayRef sizes, at::ScalarType dtype) {
  static BufferPool* pool = new BufferPool();
  return at::detail::empty_generic(sizes, pool, c10::DispatchKeySet(c10::DispatchKey::CPU), dtype, std::nullopt);
}

// ---- the loop's state ---------------------------------------------------------------------
template <typename T>
struct Loop {
  int64_t nT, B, H;
  bool reverse;
  Tensor xg, w_hh, b_hh, mask, drop;       // mask: [nT, B] bool or undefined; drop: [B, H] or undefined
  std::vector<Tensor> states0, extras;
  Tensor out, hs, cs, U;                   // hs, cs: state after each step; U: dropped operand per step
  std::vector<Tensor> bufs;
  std::vector<Weight> wf, wb;              // per block of W_hh rows: u -> u W^T (forward), g -> g W (backward)

  // blocks of W_hh rows with their own recurrent product: [(first row, rows)]
  void pack_forward(const std::vector<std::pair<int64_t, int64_t>>& blocks) {
    for (auto [r, n] : blocks) wf.emplace_back(w_hh.narrow(0, r, n), B, nT);
  }
  void pack_backward(const std::vector<std::pair<int64_t, int64_t>>& blocks) {
    for (auto [r, n] : blocks) wb.emplace_back(w_hh.narrow(0, r, n).t(), B, nT);
  }

  // f(b) for every batch row, on all threads when a step has enough work to share
  template <typename F>
  void rows(const F& f) const {
    const int64_t width = xg.size(2), grain = std::max<int64_t>(1, PARALLEL_MIN_ELEMENTS / width);
    if (B <= grain) {
      for (int64_t b = 0; b < B; ++b) f(b);
      return;
    }
    at::parallel_for(0, B, grain, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) f(b);
    });
  }
  int64_t step_of(int64_t k) const { return reverse ? nT - 1 - k : k; }
  int64_t prev_of(int64_t k) const { return k == 0 ? -1 : step_of(k - 1); }
  bool on(int64_t t, int64_t b) const { return !mask.defined() || ptr<bool>(mask)[t * B + b]; }
  T* row(const Tensor& x, int64_t t, int64_t b, int64_t width) const { return ptr<T>(x) + (t * B + b) * width; }
  Tensor new_buf(int64_t width) const { return pooled({nT, B, width}, xg.scalar_type()); }

  // dh_{t-1} += du * drop, with du the gradient of the recurrent operand u
  void add_operand_grad(Tensor& dh, const Tensor& du) const {
    rows([&](int64_t b) {
      T *d = ptr<T>(dh) + b * H;
      const T* g = ptr<T>(du) + b * H;
      if (!drop.defined()) {
        vloop<T>(H, [&](int64_t j, int64_t k) { st(ld(d + j, k) + ld(g + j, k), d + j, k); });
        return;
      }
      const T* m = ptr<T>(drop) + b * H;
      vloop<T>(H, [&](int64_t j, int64_t k) { st(ld(d + j, k) + ld(g + j, k) * ld(m + j, k), d + j, k); });
    });
  }
  // dh_{t-1} += (dhg W) * drop: the gradient through the recurrent product u W^T of block `block`
  void recurrent_grad(Tensor& dh, const Tensor& dhg, int block = 0) const { add_operand_grad(dh, wb[block].times(dhg)); }
};

// ---- cells: forward step, backward step, weight gradients ---------------------------------
// Each mirrors the Python cell of the same name in rnnkit/cells/.

template <typename T, bool Relu>
struct Elman {
  static std::vector<std::pair<int64_t, int64_t>> blocks(const Loop<T>& L) { return {{0, L.w_hh.size(0)}}; }
  static std::vector<Tensor> bufs(const Loop<T>&) { return {}; }
  static void forward(Loop<T>& L, int64_t t, const Tensor&, const Tensor&, const Tensor& u) {
    Tensor hg = L.wf[0].times(u);
    L.rows([&](int64_t b) {
      const T *x = L.row(L.xg, t, b, L.H), *g = ptr<T>(hg) + b * L.H;
      T* h = L.row(L.hs, t, b, L.H);
      vloop<T>(L.H, [&](int64_t j, int64_t k) {
        Vec<T> a = ld(x + j, k) + ld(g + j, k);
        st(Relu ? at::vec::maximum(a, Vec<T>(0)) : a.tanh(), h + j, k);
      });
    });
  }
  static void backward(Loop<T>& L, int64_t t, const Tensor&, const Tensor&, const Tensor&,
                       Tensor& dh, Tensor&, const Tensor& dout, Tensor& dxg_t, std::vector<Tensor>&) {
    const int64_t H = L.H;
    L.rows([&](int64_t b) {
      T *dx = ptr<T>(dxg_t) + b * H, *d = ptr<T>(dh) + b * H;
      if (!L.on(t, b)) { zero_row(dx, H); return; }
      const T *h = L.row(L.hs, t, b, H), *go = ptr<T>(dout) + (t * L.B + b) * H;
      vloop<T>(H, [&](int64_t j, int64_t k) {
        Vec<T> g = ld(d + j, k) + ld(go + j, k), hv = ld(h + j, k);
        Vec<T> da = Relu ? Vec<T>::blendv(Vec<T>(0), g, hv > Vec<T>(0)) : g * (Vec<T>(1) - hv * hv);
        st(da, dx + j, k);
        st(Vec<T>(0), d + j, k);
      });
    });
    L.recurrent_grad(dh, dxg_t);
  }
};

template <typename T>
struct LSTMCell {
  static std::vector<std::pair<int64_t, int64_t>> blocks(const Loop<T>& L) { return {{0, L.w_hh.size(0)}}; }
  // bufs: gates [i f g o] activated, tanh(c)
  static std::vector<Tensor> bufs(const Loop<T>& L) { return {L.new_buf(4 * L.H), L.new_buf(L.H)}; }
  static void forward(Loop<T>& L, int64_t t, const Tensor&, const Tensor& cp, const Tensor& u) {
    Tensor hg = L.wf[0].times(u);
    const int64_t H = L.H;
    L.rows([&](int64_t b) {
      T *ar = L.row(L.bufs[0], t, b, 4 * H), *tc = L.row(L.bufs[1], t, b, H);
      const T *x = L.row(L.xg, t, b, 4 * H), *g = ptr<T>(hg) + b * 4 * H;
      vloop<T>(4 * H, [&](int64_t j, int64_t k) { st(ld(x + j, k) + ld(g + j, k), ar + j, k); });
      T *h = L.row(L.hs, t, b, H), *c = L.row(L.cs, t, b, H);
      const T* c0 = ptr<T>(cp) + b * H;
      vloop<T>(H, [&](int64_t j, int64_t k) {
        Vec<T> i = sigm(ld(ar + j, k)), f = sigm(ld(ar + H + j, k));
        Vec<T> g = ld(ar + 2 * H + j, k).tanh(), o = sigm(ld(ar + 3 * H + j, k));
        Vec<T> cn = f * ld(c0 + j, k) + i * g, tcn = cn.tanh();
        st(i, ar + j, k); st(f, ar + H + j, k); st(g, ar + 2 * H + j, k); st(o, ar + 3 * H + j, k);
        st(cn, c + j, k); st(tcn, tc + j, k); st(o * tcn, h + j, k);
      });
    });
  }
  // da from the gradient dct reaching c_t (path through h_t included) and gh reaching h_t
  static inline void gates_backward(const T* ar, const T* tc, const T* c0, const T* gh, const T* dct,
                                    T* dx, T* dc, int64_t H) {
    vloop<T>(H, [&](int64_t j, int64_t k) {
      Vec<T> i = ld(ar + j, k), f = ld(ar + H + j, k), g = ld(ar + 2 * H + j, k), o = ld(ar + 3 * H + j, k);
      Vec<T> one(1), d = ld(dct + j, k);
      st(d * g * i * (one - i), dx + j, k);
      st(d * ld(c0 + j, k) * f * (one - f), dx + H + j, k);
      st(d * i * (one - g * g), dx + 2 * H + j, k);
      st(ld(gh + j, k) * ld(tc + j, k) * o * (one - o), dx + 3 * H + j, k);
      st(d * f, dc + j, k);
    });
  }
  static void backward(Loop<T>& L, int64_t t, const Tensor&, const Tensor& cp, const Tensor&,
                       Tensor& dh, Tensor& dc, const Tensor& dout, Tensor& dxg_t, std::vector<Tensor>&) {
    const int64_t H = L.H;
    L.rows([&](int64_t b) {
      T *dx = ptr<T>(dxg_t) + b * 4 * H, *d = ptr<T>(dh) + b * H, *dcr = ptr<T>(dc) + b * H;
      if (!L.on(t, b)) { zero_row(dx, 4 * H); return; }
      const T *ar = L.row(L.bufs[0], t, b, 4 * H), *tc = L.row(L.bufs[1], t, b, H);
      const T *go = ptr<T>(dout) + (t * L.B + b) * H;
      vloop<T>(H, [&](int64_t j, int64_t k) {   // d <- gradient reaching h_t; dcr <- reaching c_t
        Vec<T> gh = ld(d + j, k) + ld(go + j, k), tcv = ld(tc + j, k), o = ld(ar + 3 * H + j, k);
        st(gh, d + j, k);
        st(ld(dcr + j, k) + gh * o * (Vec<T>(1) - tcv * tcv), dcr + j, k);
      });
      gates_backward(ar, tc, ptr<T>(cp) + b * H, d, dcr, dx, dcr, H);
      zero_row(d, H);
    });
    L.recurrent_grad(dh, dxg_t);
  }
};

template <typename T>
struct LayerNormLSTMCell {
  static std::vector<std::pair<int64_t, int64_t>> blocks(const Loop<T>& L) { return {{0, L.w_hh.size(0)}}; }
  // bufs: gates, tanh(c~), hhat, rstd_h, chat, rstd_c
  // extras: ln_hh_weight [4H], ln_cell_weight [H], ln_cell_bias [H]
  static std::vector<Tensor> bufs(const Loop<T>& L) {
    return {L.new_buf(4 * L.H), L.new_buf(L.H), L.new_buf(4 * L.H), L.new_buf(1), L.new_buf(L.H), L.new_buf(1)};
  }
  static void forward(Loop<T>& L, int64_t t, const Tensor&, const Tensor& cp, const Tensor& u) {
    Tensor raw = L.wf[0].times(u);
    const int64_t H = L.H;
    const T *ghh = ptr<T>(L.extras[0]), *gc = ptr<T>(L.extras[1]), *bc = ptr<T>(L.extras[2]);
    L.rows([&](int64_t b) {
      const T *x = L.row(L.xg, t, b, 4 * H), *r = ptr<T>(raw) + b * 4 * H, *c0 = ptr<T>(cp) + b * H;
      T *ar = L.row(L.bufs[0], t, b, 4 * H), *tc = L.row(L.bufs[1], t, b, H), *hh = L.row(L.bufs[2], t, b, 4 * H);
      T *rs_h = L.row(L.bufs[3], t, b, 1), *ch = L.row(L.bufs[4], t, b, H), *rs_c = L.row(L.bufs[5], t, b, 1);
      T *h = L.row(L.hs, t, b, H), *c = L.row(L.cs, t, b, H);
      T mean, rstd;
      moments(r, 4 * H, mean, rstd);
      *rs_h = rstd;
      Vec<T> mv(mean), rv(rstd);
      vloop<T>(4 * H, [&](int64_t j, int64_t k) {
        Vec<T> xh = (ld(r + j, k) - mv) * rv;
        st(xh, hh + j, k);
        st(ld(x + j, k) + xh * ld(ghh + j, k), ar + j, k);
      });
      vloop<T>(H, [&](int64_t j, int64_t k) {
        Vec<T> i = sigm(ld(ar + j, k)), f = sigm(ld(ar + H + j, k));
        Vec<T> g = ld(ar + 2 * H + j, k).tanh(), o = sigm(ld(ar + 3 * H + j, k));
        st(i, ar + j, k); st(f, ar + H + j, k); st(g, ar + 2 * H + j, k); st(o, ar + 3 * H + j, k);
        st(f * ld(c0 + j, k) + i * g, c + j, k);
      });
      moments(c, H, mean, rstd);
      *rs_c = rstd;
      mv = Vec<T>(mean); rv = Vec<T>(rstd);
      vloop<T>(H, [&](int64_t j, int64_t k) {
        Vec<T> chv = (ld(c + j, k) - mv) * rv;
        Vec<T> tcv = (chv * ld(gc + j, k) + ld(bc + j, k)).tanh();
        st(chv, ch + j, k); st(tcv, tc + j, k); st(ld(ar + 3 * H + j, k) * tcv, h + j, k);
      });
    });
  }
  // bb: dhg (gradient of the raw recurrent product) [nT,B,4H], dcn (of LN(c)'s output) [nT,B,H]
  static void backward(Loop<T>& L, int64_t t, const Tensor&, const Tensor& cp, const Tensor&,
                       Tensor& dh, Tensor& dc, const Tensor& dout, Tensor& dxg_t, std::vector<Tensor>& bb) {
    const int64_t H = L.H;
    const T *ghh = ptr<T>(L.extras[0]), *gc = ptr<T>(L.extras[1]);
    L.rows([&](int64_t b) {
      T *dx = ptr<T>(dxg_t) + b * 4 * H, *d = ptr<T>(dh) + b * H, *dcr = ptr<T>(dc) + b * H;
      T *dhg = L.row(bb[0], t, b, 4 * H), *dcn = L.row(bb[1], t, b, H);
      if (!L.on(t, b)) { zero_row(dx, 4 * H); zero_row(dhg, 4 * H); zero_row(dcn, H); return; }
      const T *ar = L.row(L.bufs[0], t, b, 4 * H), *tc = L.row(L.bufs[1], t, b, H);
      const T *hh = L.row(L.bufs[2], t, b, 4 * H), *ch = L.row(L.bufs[4], t, b, H);
      const T rs_h = *L.row(L.bufs[3], t, b, 1), rs_c = *L.row(L.bufs[5], t, b, 1);
      const T *go = ptr<T>(dout) + (t * L.B + b) * H;
      vloop<T>(H, [&](int64_t j, int64_t k) {   // d <- gradient reaching h_t; dcn <- reaching LN(c_t)
        Vec<T> gh = ld(d + j, k) + ld(go + j, k), tcv = ld(tc + j, k);
        st(gh, d + j, k);
        st(gh * ld(ar + 3 * H + j, k) * (Vec<T>(1) - tcv * tcv), dcn + j, k);
      });
      normalize_backward(dcn, gc, ch, rs_c, H, dcr, /*accumulate=*/true);   // dcr <- total dc_t
      LSTMCell<T>::gates_backward(ar, tc, ptr<T>(cp) + b * H, d, dcr, dx, dcr, H);
      normalize_backward(dx, ghh, hh, rs_h, 4 * H, dhg);
      zero_row(d, H);
    });
    L.recurrent_grad(dh, bb[0][t]);
  }
};

template <typename T>
struct GRUAfterCell {
  static std::vector<std::pair<int64_t, int64_t>> blocks(const Loop<T>& L) { return {{0, L.w_hh.size(0)}}; }
  // bufs: gates [r z n] activated, hn = W_hn u + b_hn
  static std::vector<Tensor> bufs(const Loop<T>& L) { return {L.new_buf(3 * L.H), L.new_buf(L.H)}; }
  static void forward(Loop<T>& L, int64_t t, const Tensor& hp, const Tensor&, const Tensor& u) {
    Tensor hg = L.wf[0].times(u);
    if (L.b_hh.defined()) {   // fold b_hh into the product here: r multiplies b_hn
      T *g = ptr<T>(hg);
      const T* bias = ptr<T>(L.b_hh);
      L.rows([&](int64_t b) {
        vloop<T>(3 * L.H, [&](int64_t j, int64_t k) { st(ld(g + b * 3 * L.H + j, k) + ld(bias + j, k), g + b * 3 * L.H + j, k); });
      });
    }
    const int64_t H = L.H;
    L.rows([&](int64_t b) {
      const T *x = L.row(L.xg, t, b, 3 * H), *g = ptr<T>(hg) + b * 3 * H, *h0 = ptr<T>(hp) + b * H;
      T *ar = L.row(L.bufs[0], t, b, 3 * H), *hn = L.row(L.bufs[1], t, b, H), *h = L.row(L.hs, t, b, H);
      vloop<T>(H, [&](int64_t j, int64_t k) {
        Vec<T> r = sigm(ld(x + j, k) + ld(g + j, k)), z = sigm(ld(x + H + j, k) + ld(g + H + j, k));
        Vec<T> hnv = ld(g + 2 * H + j, k), n = (ld(x + 2 * H + j, k) + r * hnv).tanh();
        st(r, ar + j, k); st(z, ar + H + j, k); st(n, ar + 2 * H + j, k); st(hnv, hn + j, k);
        st(n + z * (ld(h0 + j, k) - n), h + j, k);
      });
    });
  }
  // bb: dhg, the gradient of the whole recurrent product [nT, B, 3H]
  static void backward(Loop<T>& L, int64_t t, const Tensor& hp, const Tensor&, const Tensor&,
                       Tensor& dh, Tensor&, const Tensor& dout, Tensor& dxg_t, std::vector<Tensor>& bb) {
    const int64_t H = L.H;
    L.rows([&](int64_t b) {
      T *dx = ptr<T>(dxg_t) + b * 3 * H, *d = ptr<T>(dh) + b * H, *dg = L.row(bb[0], t, b, 3 * H);
      if (!L.on(t, b)) { zero_row(dx, 3 * H); zero_row(dg, 3 * H); return; }
      const T *ar = L.row(L.bufs[0], t, b, 3 * H), *hn = L.row(L.bufs[1], t, b, H);
      const T *h0 = ptr<T>(hp) + b * H, *go = ptr<T>(dout) + (t * L.B + b) * H;
      vloop<T>(H, [&](int64_t j, int64_t k) {
        Vec<T> one(1), gh = ld(d + j, k) + ld(go + j, k);
        Vec<T> r = ld(ar + j, k), z = ld(ar + H + j, k), n = ld(ar + 2 * H + j, k);
        Vec<T> daz = gh * (ld(h0 + j, k) - n) * z * (one - z);
        Vec<T> dan = gh * (one - z) * (one - n * n);
        Vec<T> dar = dan * ld(hn + j, k) * r * (one - r);
        st(dar, dx + j, k); st(daz, dx + H + j, k); st(dan, dx + 2 * H + j, k);
        st(dar, dg + j, k); st(daz, dg + H + j, k); st(dan * r, dg + 2 * H + j, k);
        st(gh * z, d + j, k);
      });
    });
    L.recurrent_grad(dh, bb[0][t]);
  }
};

template <typename T>
struct GRUBeforeCell {
  // bufs: gates [r z n] activated, v = r * u
  static std::vector<Tensor> bufs(const Loop<T>& L) { return {L.new_buf(3 * L.H), L.new_buf(L.H)}; }
  static std::vector<std::pair<int64_t, int64_t>> blocks(const Loop<T>& L) { return {{0, 2 * L.H}, {2 * L.H, L.H}}; }
  static void forward(Loop<T>& L, int64_t t, const Tensor& hp, const Tensor&, const Tensor& u) {
    const int64_t H = L.H;
    Tensor v = L.bufs[1][t];
    Tensor rz = L.wf[0].times(u);
    L.rows([&](int64_t b) {
      const T *x = L.row(L.xg, t, b, 3 * H), *a = ptr<T>(rz) + b * 2 * H, *ur = ptr<T>(u) + b * H;
      T *ar = L.row(L.bufs[0], t, b, 3 * H), *vr = ptr<T>(v) + b * H;
      vloop<T>(H, [&](int64_t j, int64_t k) {
        Vec<T> r = sigm(ld(x + j, k) + ld(a + j, k));
        st(r, ar + j, k); st(sigm(ld(x + H + j, k) + ld(a + H + j, k)), ar + H + j, k); st(r * ld(ur + j, k), vr + j, k);
      });
    });
    Tensor pn = L.wf[1].times(v);
    L.rows([&](int64_t b) {
      const T *x = L.row(L.xg, t, b, 3 * H), *a = ptr<T>(pn) + b * H, *h0 = ptr<T>(hp) + b * H;
      T *ar = L.row(L.bufs[0], t, b, 3 * H), *h = L.row(L.hs, t, b, H);
      vloop<T>(H, [&](int64_t j, int64_t k) {
        Vec<T> n = (ld(x + 2 * H + j, k) + ld(a + j, k)).tanh(), z = ld(ar + H + j, k);
        st(n, ar + 2 * H + j, k); st(n + z * (ld(h0 + j, k) - n), h + j, k);
      });
    });
  }
  static void backward(Loop<T>& L, int64_t t, const Tensor& hp, const Tensor&, const Tensor& u,
                       Tensor& dh, Tensor&, const Tensor& dout, Tensor& dxg_t, std::vector<Tensor>&) {
    const int64_t H = L.H;
    L.rows([&](int64_t b) {   // dz, dn; d <- the direct gradient dh_t * z
      T *dx = ptr<T>(dxg_t) + b * 3 * H, *d = ptr<T>(dh) + b * H;
      if (!L.on(t, b)) { zero_row(dx, 3 * H); return; }
      const T *ar = L.row(L.bufs[0], t, b, 3 * H), *h0 = ptr<T>(hp) + b * H;
      const T *go = ptr<T>(dout) + (t * L.B + b) * H;
      vloop<T>(H, [&](int64_t j, int64_t k) {
        Vec<T> one(1), gh = ld(d + j, k) + ld(go + j, k), z = ld(ar + H + j, k), n = ld(ar + 2 * H + j, k);
        st(gh * (ld(h0 + j, k) - n) * z * (one - z), dx + H + j, k);
        st(gh * (one - z) * (one - n * n), dx + 2 * H + j, k);
        st(gh * z, d + j, k);
      });
    });
    Tensor dv = L.wb[1].times(dxg_t.narrow(1, 2 * H, H));
    L.rows([&](int64_t b) {   // dr; then dv <- dv * r, the direct part of du (0 past the end: dv is 0)
      const T *ar = L.row(L.bufs[0], t, b, 3 * H), *ur = ptr<T>(u) + b * H;
      T *dx = ptr<T>(dxg_t) + b * 3 * H, *dvr = ptr<T>(dv) + b * H;
      vloop<T>(H, [&](int64_t j, int64_t k) {
        Vec<T> r = ld(ar + j, k), g = ld(dvr + j, k);
        st(g * ld(ur + j, k) * r * (Vec<T>(1) - r), dx + j, k);
        st(g * r, dvr + j, k);
      });
    });
    L.add_operand_grad(dh, dv);
    L.recurrent_grad(dh, dxg_t.narrow(1, 0, 2 * H), 0);
  }
};

// ---- the drivers --------------------------------------------------------------------------
template <typename T>
Loop<T> make_loop(const Tensor& xg, const Tensor& w_hh, const c10::optional<Tensor>& b_hh,
                  const std::vector<Tensor>& states0, const c10::optional<Tensor>& mask,
                  const c10::optional<Tensor>& drop, bool reverse, const std::vector<Tensor>& extras) {
  Loop<T> L;
  L.nT = xg.size(0); L.B = xg.size(1); L.H = w_hh.size(1); L.reverse = reverse;
  L.xg = xg.contiguous(); L.w_hh = w_hh.contiguous();
  if (b_hh.has_value() && b_hh->defined()) L.b_hh = b_hh->contiguous();
  if (mask.has_value() && mask->defined()) L.mask = mask->reshape({L.nT, L.B}).to(at::kBool).contiguous();
  if (drop.has_value() && drop->defined()) L.drop = drop->contiguous();
  for (const auto& s : states0) L.states0.push_back(s.contiguous());
  for (const auto& e : extras) L.extras.push_back(e.contiguous());
  return L;
}

template <typename T, typename Cell>
std::tuple<Tensor, std::vector<Tensor>, std::vector<Tensor>> forward_impl(Loop<T> L) {
  const int64_t nT = L.nT, B = L.B, H = L.H, ns = L.states0.size();
  L.bufs = Cell::bufs(L);
  L.pack_forward(Cell::blocks(L));
  L.hs = L.new_buf(H);
  if (ns == 2) L.cs = L.new_buf(H);
  if (L.drop.defined()) L.U = L.new_buf(H);
  L.out = L.mask.defined() ? L.new_buf(H) : L.hs;
  for (int64_t k = 0; k < nT; ++k) {
    const int64_t t = L.step_of(k), tp = L.prev_of(k);
    Tensor hp = tp < 0 ? L.states0[0] : L.hs[tp];
    Tensor cp = ns == 2 ? (tp < 0 ? L.states0[1] : L.cs[tp]) : Tensor();
    Tensor u = hp;
    if (L.drop.defined()) {
      u = L.U[t];
      T *up = ptr<T>(u), *hpp = ptr<T>(hp), *m = ptr<T>(L.drop);
      vloop<T>(B * H, [&](int64_t j, int64_t kk) { st(ld(hpp + j, kk) * ld(m + j, kk), up + j, kk); });
    }
    Cell::forward(L, t, hp, cp, u);
    if (L.mask.defined()) {   // past its end a sequence keeps its state and emits zeros
      for (int64_t b = 0; b < B; ++b) {
        T *o = L.row(L.out, t, b, H), *h = L.row(L.hs, t, b, H);
        if (L.on(t, b)) { std::copy(h, h + H, o); continue; }
        zero_row(o, H);
        const T* h0 = ptr<T>(hp) + b * H;
        std::copy(h0, h0 + H, h);
        if (ns == 2) { const T* c0 = ptr<T>(cp) + b * H; std::copy(c0, c0 + H, L.row(L.cs, t, b, H)); }
      }
    }
  }
  const int64_t last = L.step_of(nT - 1);
  std::vector<Tensor> finals = {L.hs[last].clone()};
  if (ns == 2) finals.push_back(L.cs[last].clone());
  std::vector<Tensor> saved = {L.hs, L.cs, L.U};
  saved.insert(saved.end(), L.bufs.begin(), L.bufs.end());
  return {L.out, finals, saved};
}

// One step (L.nT == 1) without anything kept for a backward: the new states, h (and c) [B, H].
template <typename T, typename Cell>
std::vector<Tensor> step_impl(Loop<T> L) {
  const int64_t ns = L.states0.size();
  L.bufs = Cell::bufs(L);
  L.pack_forward(Cell::blocks(L));
  L.hs = L.new_buf(L.H);
  if (ns == 2) L.cs = L.new_buf(L.H);
  Tensor u = L.states0[0];
  if (L.drop.defined()) u = L.states0[0] * L.drop;
  Cell::forward(L, 0, L.states0[0], ns == 2 ? L.states0[1] : Tensor(), u);
  std::vector<Tensor> states = {L.hs[0]};
  if (ns == 2) states.push_back(L.cs[0]);
  return states;
}

template <typename T>
std::vector<Tensor> backward_buffers(int64_t cell, const Loop<T>& L) {
  if (cell == GRU_AFTER) return {L.new_buf(3 * L.H)};
  if (cell == LSTM_LN) return {L.new_buf(4 * L.H), L.new_buf(L.H)};
  return {};
}

// Gradients of W_hh, the unfolded b_hh and the recurrent extras: one product or sum each.
template <typename T>
std::tuple<Tensor, Tensor, std::vector<Tensor>> param_grads(int64_t cell, const Loop<T>& L, const Tensor& dxg,
                                                           const Tensor& U, const std::vector<Tensor>& bb) {
  const int64_t H = L.H;
  auto flat = [](const Tensor& x) { return x.reshape({-1, x.size(-1)}); };
  if (cell == GRU_AFTER) {
    Tensor dhg = flat(bb[0]);
    return {mm_tn(dhg, flat(U)), L.b_hh.defined() ? dhg.sum(0) : Tensor(), {}};
  }
  if (cell == GRU_BEFORE) {
    Tensor d = flat(dxg);
    Tensor dw_rz = mm_tn(d.narrow(1, 0, 2 * H), flat(U));
    Tensor dw_n = mm_tn(d.narrow(1, 2 * H, H), flat(L.bufs[1]));
    return {at::cat({dw_rz, dw_n}), Tensor(), {}};
  }
  if (cell == LSTM_LN) {
    Tensor dcn = flat(bb[1]);
    return {mm_tn(flat(bb[0]), flat(U)), Tensor(),
            {(flat(dxg) * flat(L.bufs[2])).sum(0), (dcn * flat(L.bufs[4])).sum(0), dcn.sum(0)}};
  }
  return {mm_tn(flat(dxg), flat(U)), Tensor(), {}};
}

template <typename T, typename Cell>
std::tuple<Tensor, Tensor, Tensor, std::vector<Tensor>, std::vector<Tensor>>
backward_impl(int64_t cell, Loop<T> L, const std::vector<c10::optional<Tensor>>& saved_in, const Tensor& dout_in,
              const std::vector<Tensor>& dfinal) {
  const int64_t nT = L.nT, ns = L.states0.size();
  std::vector<Tensor> saved;   // undefined where forward saved nothing (no c, no dropout)
  for (const auto& s : saved_in) saved.push_back(s.has_value() ? *s : Tensor());
  L.hs = saved[0]; L.cs = saved[1]; L.U = saved[2];
  L.bufs.assign(saved.begin() + 3, saved.end());
  L.pack_backward(Cell::blocks(L));
  Tensor dout = dout_in.contiguous(), dxg = L.new_buf(L.xg.size(2));
  Tensor dh = dfinal[0].contiguous().clone();
  Tensor dc = ns == 2 ? dfinal[1].contiguous().clone() : Tensor();
  std::vector<Tensor> bb = backward_buffers(cell, L);
  for (int64_t k = nT - 1; k >= 0; --k) {
    const int64_t t = L.step_of(k), tp = L.prev_of(k);
    Tensor hp = tp < 0 ? L.states0[0] : L.hs[tp];
    Tensor cp = ns == 2 ? (tp < 0 ? L.states0[1] : L.cs[tp]) : Tensor();
    Tensor u = L.drop.defined() ? L.U[t] : hp;
    Tensor dxg_t = dxg[t];
    Cell::backward(L, t, hp, cp, u, dh, dc, dout, dxg_t, bb);
  }
  Tensor U = L.U;
  if (!U.defined()) {
    Tensor h0 = L.states0[0].unsqueeze(0);
    U = nT == 1 ? h0 : (L.reverse ? at::cat({L.hs.narrow(0, 1, nT - 1), h0}) : at::cat({h0, L.hs.narrow(0, 0, nT - 1)}));
  }
  auto [dw, db, dextras] = param_grads(cell, L, dxg, U, bb);
  std::vector<Tensor> dstates = {dh};
  if (ns == 2) dstates.push_back(dc);
  return {dxg, dw, db, dstates, dextras};
}

// ---- one stream, one step at a time ---------------------------------------------------------
// A stacked layer fed one token per step: each layer is a one-step Loop (its buffers and packed
// weights made once), stepped by the same cell code as training.  Layer 0's input projection is
// a table, one row per token; upper layers project the layer below with their W_ih; the output
// layer turns the top state into logits.  What the logits are for (a draw, a beam) is the
// caller's business.  `uses`: how many steps are expected (packing a weight pays off over many).
// layer: {w_ih, input bias, w_hh, b_hh, ln_ih_weight, recurrent extras...} (absent ones None)
template <typename T, typename Cell>
struct Stepper {
  using Layers = std::vector<std::vector<std::optional<Tensor>>>;
  Layers layers;
  Tensor table, out_b;
  std::vector<Loop<T>> loops;
  std::vector<Weight> w_in;
  Weight w_out;
  std::vector<Tensor> states;   // per layer: h (and c), each [1, H]
  int64_t ns;

  Stepper(const Layers& layers_, const Tensor& table_, const Tensor& out_w, const Tensor& out_b_,
          const std::vector<Tensor>& states0, int64_t uses)
      : layers(layers_), table(table_.contiguous()), out_b(out_b_), loops(layers_.size()), w_in(layers_.size()),
        states(states0.size()), ns(states0.size() / layers_.size()) {
    auto opt = [](const std::optional<Tensor>& x) { return x.has_value() ? x->contiguous() : Tensor(); };
    for (size_t l = 0; l < layers.size(); ++l) {
      Loop<T>& lp = loops[l];
      const auto& p = layers[l];
      lp.w_hh = opt(p[2]);
      lp.b_hh = opt(p[3]);
      lp.nT = 1; lp.B = 1; lp.H = lp.w_hh.size(1); lp.reverse = false;
      lp.xg = at::empty({1, 1, lp.w_hh.size(0)}, table.options());
      for (size_t e = 5; e < p.size(); ++e) lp.extras.push_back(opt(p[e]));
      lp.bufs = Cell::bufs(lp);
      for (auto [r, n] : Cell::blocks(lp)) lp.wf.emplace_back(lp.w_hh.narrow(0, r, n), 1, uses);
      lp.hs = lp.new_buf(lp.H);
      if (ns == 2) lp.cs = lp.new_buf(lp.H);
      if (l > 0) w_in[l] = Weight(opt(p[0]), 1, uses);
      for (int64_t k = 0; k < ns; ++k) states[l * ns + k] = states0[l * ns + k].reshape({1, lp.H}).clone();
    }
    w_out = Weight(out_w.contiguous(), 1, uses);
  }

  // every layer advanced by `token`; the logits [1, V] that follow it
  Tensor feed(int64_t token) {
    for (size_t l = 0; l < loops.size(); ++l) {
      Loop<T>& lp = loops[l];
      const int64_t G = lp.xg.size(2);
      T* xg = ptr<T>(lp.xg);
      if (l == 0) {
        std::copy(ptr<T>(table) + token * G, ptr<T>(table) + (token + 1) * G, xg);
      } else {
        Tensor proj = w_in[l].times(loops[l - 1].hs[0]);
        const auto& p = layers[l];
        const T* pr = ptr<T>(proj);
        if (p[4].has_value()) {        // LayerNorm LSTM: LN(x W_ih^T) * gain + bias
          T mean, rstd;
          moments(pr, G, mean, rstd);
          const T *g = ptr<T>(*p[4]), *bias = ptr<T>(*p[1]);
          for (int64_t j = 0; j < G; ++j) xg[j] = (pr[j] - mean) * rstd * g[j] + bias[j];
        } else if (p[1].has_value()) {
          const T* bias = ptr<T>(*p[1]);
          for (int64_t j = 0; j < G; ++j) xg[j] = pr[j] + bias[j];
        } else {
          std::copy(pr, pr + G, xg);
        }
      }
      Tensor hp = states[l * ns], cp = ns == 2 ? states[l * ns + 1] : Tensor();
      Cell::forward(lp, 0, hp, cp, hp);
      std::copy(ptr<T>(lp.hs), ptr<T>(lp.hs) + lp.H, ptr<T>(hp));
      if (ns == 2) std::copy(ptr<T>(lp.cs), ptr<T>(lp.cs) + lp.H, ptr<T>(cp));
    }
    Tensor logits = w_out.times(loops.back().hs[0]);
    if (out_b.defined()) logits += out_b;
    return logits;
  }
};

template <typename T, typename F>
auto with_cell(int64_t cell, F&& f) {
  switch (cell) {
    case RNN_TANH: return f(Elman<T, false>{});
    case RNN_RELU: return f(Elman<T, true>{});
    case LSTM: return f(LSTMCell<T>{});
    case LSTM_LN: return f(LayerNormLSTMCell<T>{});
    case GRU_AFTER: return f(GRUAfterCell<T>{});
    case GRU_BEFORE: return f(GRUBeforeCell<T>{});
  }
  TORCH_CHECK(false, "rnnkit native loop: unknown cell id ", cell);
}

}  // namespace
