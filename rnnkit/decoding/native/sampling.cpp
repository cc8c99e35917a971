// Sampling in C++: generation from a stacked recurrent language model, one stream, with the
// draw (temperature, top-k, top-p) of rnnkit.decoding.sample in the loop, on the engine's
// one-stream stepper (rnnkit/engine/native/loop.h).  Built by rnnkit/decoding/native.py.
#include "loop.h"

#include <random>

namespace {

// A token from logits as rnnkit.decoding.sample draws it: temperature, then top-k, then top-p
// (keep the most likely tokens up to and including the one whose cumulative probability
// reaches p), then a categorical draw; temperature 0 takes the most likely token.
template <typename T>
int64_t draw(const T* logits, int64_t V, double temperature, int64_t top_k, double top_p, std::mt19937_64& rng) {
  if (temperature == 0) return std::max_element(logits, logits + V) - logits;
  std::vector<double> z(logits, logits + V);
  for (double& v : z) v /= temperature;
  if (top_k > 0 && top_k < V) {
    std::vector<double> sorted(z);
    std::nth_element(sorted.begin(), sorted.begin() + (top_k - 1), sorted.end(), std::greater<double>());
    const double kth = sorted[top_k - 1];
    for (double& v : z) if (v < kth) v = -INFINITY;
  }
  const double top = *std::max_element(z.begin(), z.end());
  std::vector<double> p(V);
  double total = 0;
  for (int64_t i = 0; i < V; ++i) total += p[i] = std::exp(z[i] - top);
  if (top_p > 0 && top_p < 1) {
    std::vector<int64_t> order(V);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return p[a] > p[b]; });
    double before = 0, kept = 0;
    for (int64_t i : order) {
      const double q = p[i] / total;
      if (before >= top_p) p[i] = 0;
      else kept += p[i];
      before += q;
    }
    total = kept;
  }
  double u = std::uniform_real_distribution<double>(0, total)(rng);
  for (int64_t i = 0; i < V; ++i) {
    if ((u -= p[i]) < 0 && p[i] > 0) return i;
  }
  for (int64_t i = V - 1; i >= 0; --i) if (p[i] > 0) return i;   // rounding left u >= 0
  return 0;
}

// One stream sampled token by token: the engine's stepper (loop.h) gives the logits, draw() the
// next token, until `length` tokens or `stop`.
template <typename T, typename Cell>
std::tuple<std::vector<int64_t>, std::vector<Tensor>> sample_impl(
    const std::vector<std::vector<std::optional<Tensor>>>& layers, const Tensor& table, const Tensor& out_w,
    const Tensor& out_b, const std::vector<Tensor>& states, const Tensor& logits0, int64_t length,
    double temperature, int64_t top_k, double top_p, uint64_t seed, int64_t stop) {
  const int64_t V = out_w.size(0);
  Stepper<T, Cell> stepper(layers, table, out_w, out_b, states, length);
  std::mt19937_64 rng(seed);
  std::vector<int64_t> ids;
  Tensor logits = logits0.reshape({1, V}).contiguous();
  for (int64_t n = 0; n < length; ++n) {
    const int64_t token = draw(ptr<T>(logits), V, temperature, top_k, top_p, rng);
    ids.push_back(token);
    if (token == stop || n == length - 1) break;
    logits = stepper.feed(token);
  }
  return {ids, stepper.states};
}

}  // namespace

std::tuple<std::vector<int64_t>, std::vector<Tensor>> sample(
    int64_t cell, const std::vector<std::vector<std::optional<Tensor>>>& layers, const Tensor& table,
    const Tensor& out_w, const std::optional<Tensor>& out_b, const std::vector<Tensor>& states, const Tensor& logits,
    int64_t length, double temperature, int64_t top_k, double top_p, uint64_t seed, int64_t stop) {
  at::NoGradGuard no_grad;
  at::AutoDispatchBelowADInplaceOrView guard;
  std::tuple<std::vector<int64_t>, std::vector<Tensor>> result;
  AT_DISPATCH_FLOATING_TYPES(table.scalar_type(), "rnnkit_sample", [&] {
    result = with_cell<scalar_t>(cell, [&](auto c) {
      return sample_impl<scalar_t, decltype(c)>(layers, table.contiguous(), out_w, out_b.has_value() ? *out_b : Tensor(),
                                                states, logits, length, temperature, top_k, top_p, seed, stop);
    });
  });
  return result;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("sample", &sample, "sample one stream token by token: (ids, final states)");
}
