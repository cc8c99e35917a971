// The engine's time loop in C++ (loop.h), exposed to Python: a cell's whole-sequence forward
// and backward, the teacher-forced attention decoder's (attention.h), and the loop's matrix
// products.  Built by rnnkit/engine/native.py.
#include "attention.h"
#include "loop.h"

std::tuple<Tensor, std::vector<Tensor>, std::vector<Tensor>> forward(
    int64_t cell, const Tensor& xg, const Tensor& w_hh, const c10::optional<Tensor>& b_hh,
    const std::vector<Tensor>& states0, const c10::optional<Tensor>& mask,
    const c10::optional<Tensor>& drop, bool reverse, const std::vector<Tensor>& extras) {
  at::AutoDispatchBelowADInplaceOrView guard;
  std::tuple<Tensor, std::vector<Tensor>, std::vector<Tensor>> result;
  AT_DISPATCH_FLOATING_TYPES(xg.scalar_type(), "rnnkit_forward", [&] {
    auto L = make_loop<scalar_t>(xg, w_hh, b_hh, states0, mask, drop, reverse, extras);
    result = with_cell<scalar_t>(cell, [&](auto c) { return forward_impl<scalar_t, decltype(c)>(L); });
  });
  return result;
}

std::tuple<Tensor, Tensor, Tensor, std::vector<Tensor>, std::vector<Tensor>> backward(
    int64_t cell, const Tensor& xg, const Tensor& w_hh, const c10::optional<Tensor>& b_hh,
    const std::vector<Tensor>& states0, const c10::optional<Tensor>& mask,
    const c10::optional<Tensor>& drop, bool reverse, const std::vector<Tensor>& extras,
    const std::vector<c10::optional<Tensor>>& saved, const Tensor& dout, const std::vector<Tensor>& dfinal) {
  at::AutoDispatchBelowADInplaceOrView guard;
  std::tuple<Tensor, Tensor, Tensor, std::vector<Tensor>, std::vector<Tensor>> result;
  AT_DISPATCH_FLOATING_TYPES(xg.scalar_type(), "rnnkit_backward", [&] {
    auto L = make_loop<scalar_t>(xg, w_hh, b_hh, states0, mask, drop, reverse, extras);
    result = with_cell<scalar_t>(cell, [&](auto c) {
      return backward_impl<scalar_t, decltype(c)>(cell, L, saved, dout, dfinal);
    });
  });
  return result;
}

// One step of one layer without autograd (the lean step's inference path, rnnkit/engine/step.py):
// x [B, D] times w_ih^T plus bias or, without w_ih, x already that projection [B, G*H]; from
// states0 (h, and c) [B, H] to the new states.
std::vector<Tensor> step(int64_t cell, const Tensor& x, const c10::optional<Tensor>& w_ih,
                         const c10::optional<Tensor>& bias, const Tensor& w_hh, const c10::optional<Tensor>& b_hh,
                         const std::vector<Tensor>& states0, const c10::optional<Tensor>& drop,
                         const std::vector<Tensor>& extras) {
  at::AutoDispatchBelowADInplaceOrView guard;
  Tensor xg = w_ih.has_value() ? affine(x, *w_ih, bias) : x;
  std::vector<Tensor> result;
  AT_DISPATCH_FLOATING_TYPES(xg.scalar_type(), "rnnkit_step", [&] {
    auto L = make_loop<scalar_t>(xg.unsqueeze(0), w_hh, b_hh, states0, std::nullopt, drop, false, extras);
    result = with_cell<scalar_t>(cell, [&](auto c) { return step_impl<scalar_t, decltype(c)>(L); });
  });
  return result;
}

inline Tensor defined_or_not(const c10::optional<Tensor>& x) {
  return x.has_value() && x->defined() ? x->contiguous() : Tensor();
}

// The attention decoder over all target steps (rnnkit/engine/attention.py): what its backward
// needs, first (h~ [T+1, B, H] with h~_0, alpha [T, B, S]).
std::vector<Tensor> attention_forward(
    int64_t cell, int64_t score, const Tensor& P, const Tensor& w_feed, const Tensor& w_hh,
    const c10::optional<Tensor>& b_hh, const c10::optional<Tensor>& drop, const Tensor& memory,
    const c10::optional<Tensor>& keys, const Tensor& mask, const Tensor& w_c, const c10::optional<Tensor>& w_q,
    const c10::optional<Tensor>& v, const Tensor& feed0, const std::vector<Tensor>& states0,
    const std::vector<Tensor>& extras) {
  at::AutoDispatchBelowADInplaceOrView guard;
  std::vector<Tensor> result;
  AT_DISPATCH_FLOATING_TYPES(P.scalar_type(), "rnnkit_attention_forward", [&] {
    auto L = make_loop<scalar_t>(pooled(P.sizes(), P.scalar_type()), w_hh, b_hh, states0, std::nullopt, std::nullopt,
                                 false, extras);
    auto M = make_attend<scalar_t>(score, memory, keys, mask, w_c, w_q, v);
    result = with_cell<scalar_t>(cell, [&](auto c) {
      return attention_forward_impl<scalar_t, decltype(c)>(L, M, P.contiguous(), w_feed.contiguous(),
                                                           defined_or_not(drop), feed0.contiguous());
    });
  });
  return result;
}

// Its gradients: (dP, dw_feed, dw_hh, db_hh, dmemory, dkeys, dw_c, dw_q, dv, dfeed0, dh0, dc0, dextras...)
std::vector<Tensor> attention_backward(
    int64_t cell, int64_t score, const Tensor& w_feed, const Tensor& w_hh, const c10::optional<Tensor>& b_hh,
    const c10::optional<Tensor>& drop, const Tensor& memory, const c10::optional<Tensor>& keys, const Tensor& mask,
    const Tensor& w_c, const c10::optional<Tensor>& w_q, const c10::optional<Tensor>& v,
    const std::vector<Tensor>& states0, const std::vector<Tensor>& extras,
    const std::vector<c10::optional<Tensor>>& saved_in, const Tensor& dfeeds, const Tensor& dalpha) {
  at::AutoDispatchBelowADInplaceOrView guard;
  std::vector<Tensor> saved;
  for (const auto& s : saved_in) saved.push_back(defined_or_not(s));
  std::vector<Tensor> result;
  AT_DISPATCH_FLOATING_TYPES(w_hh.scalar_type(), "rnnkit_attention_backward", [&] {
    auto L = make_loop<scalar_t>(saved[4], w_hh, b_hh, states0, std::nullopt, std::nullopt, false, extras);
    auto M = make_attend<scalar_t>(score, memory, keys, mask, w_c, w_q, v);
    result = with_cell<scalar_t>(cell, [&](auto c) {
      return attention_backward_impl<scalar_t, decltype(c)>(cell, L, M, w_feed.contiguous(), defined_or_not(drop),
                                                            saved, dfeeds, dalpha);
    });
  });
  return result;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("attention_forward", &attention_forward, "the attention decoder's steps: what its backward needs");
  m.def("attention_backward", &attention_backward, "the attention decoder's gradients");
  m.def("forward", &forward, "time loop forward: (out, final states, saved)");
  m.def("backward", &backward, "time loop backward: (dxg, dw_hh, db_hh, dstates0, dextras)");
  m.def("step", &step, "one step of one layer without autograd: the new states");
  m.def("affine", [](const Tensor& a, const Tensor& w, const c10::optional<Tensor>& b) {
    at::AutoDispatchBelowADInplaceOrView g; return affine(a, w, b); }, "a w^T + b with the loop's matrix product");
  m.def("mm_nt", [](const Tensor& a, const Tensor& w) { at::AutoDispatchBelowADInplaceOrView g; return mm_nt(a, w); },
        "a w^T with the loop's matrix product");
  m.def("mm_tn", [](const Tensor& a, const Tensor& b) { at::AutoDispatchBelowADInplaceOrView g; return mm_tn(a, b); },
        "a^T b with the loop's matrix product");
}
