// The engine's time loop in C++ (loop.h), exposed to Python: a cell's whole-sequence forward
// and backward, and the loop's matrix products.  Built by rnnkit/engine/native.py.
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

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
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
