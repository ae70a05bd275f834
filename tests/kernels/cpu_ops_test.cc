// Checks every CPU kernel against a naive double-precision reference of its layer: forwards
// directly, backwards against central finite differences of L = sum(out * R) for a fixed random R.
//
// Tolerances. The references run in double, so their central differences (step 1e-5) are exact to
// about 1e-9; what remains is the fp32 rounding of the kernels, relative 1e-6 to 1e-5 for the short
// sums used here. Gradients must match to 1e-4 * (1 + |numeric|), forwards to 1e-5 * (1 + |ref|):
// loose enough for fp32, tight enough that a wrong term (errors of order 1e-1) fails.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <new>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/ops.h"

namespace mixlaw::cpu {
namespace {

// Buffers aligned as the backends allocate them (64 bytes): vectorised kernels may sum in another
// order when a buffer starts at another alignment, and bit-level comparisons across two buffers
// need both to start alike.
template <typename T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <typename U>
  Aligned64(const Aligned64<U>&) {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{64}));
  }
  void deallocate(T* p, size_t) { ::operator delete (p, std::align_val_t{64}); }
  bool operator==(const Aligned64&) const { return true; }
};
using Vec = std::vector<float, Aligned64<float>>;
using DVec = std::vector<double>;

constexpr double kFiniteDifferenceStep = 1e-5;
constexpr double kGradTolerance = 1e-4;
constexpr double kForwardTolerance = 1e-5;
constexpr size_t kMaxChecks = 50;  // finite differences per tensor

Vec RandomVec(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Vec x(n);
  for (float& value : x) value = dist(rng);
  return x;
}

DVec ToDouble(const Vec& x) { return DVec(x.begin(), x.end()); }

double Dot(const DVec& a, const Vec& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

void ExpectForwardMatches(const std::string& name, const Vec& got, const DVec& want) {
  ASSERT_EQ(got.size(), want.size()) << name;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], kForwardTolerance * (1.0 + std::abs(want[i])))
        << name << "[" << i << "]";
  }
}

// Checks an fp32 analytic gradient of `loss` at x against central differences of `loss`, a
// double-precision reference, on every element or on kMaxChecks random ones.
void ExpectGradientMatches(const std::string& name, const Vec& analytic, const Vec& x,
                           const std::function<double(const DVec&)>& loss) {
  ASSERT_EQ(analytic.size(), x.size()) << name;
  std::vector<size_t> indices(x.size());
  std::iota(indices.begin(), indices.end(), size_t{0});
  if (indices.size() > kMaxChecks) {
    std::mt19937 rng(static_cast<uint32_t>(x.size()));
    std::shuffle(indices.begin(), indices.end(), rng);
    indices.resize(kMaxChecks);
  }
  DVec xd = ToDouble(x);
  for (size_t i : indices) {
    const double saved = xd[i];
    xd[i] = saved + kFiniteDifferenceStep;
    const double plus = loss(xd);
    xd[i] = saved - kFiniteDifferenceStep;
    const double minus = loss(xd);
    xd[i] = saved;
    const double numeric = (plus - minus) / (2.0 * kFiniteDifferenceStep);
    EXPECT_NEAR(analytic[i], numeric, kGradTolerance * (1.0 + std::abs(numeric)))
        << name << "[" << i << "]";
  }
}

// Runs fn with 1, 2 and 3 OpenMP threads and expects bit-identical results.
void ExpectSameAtAnyThreadCount(const std::string& name, const std::function<Vec()>& fn) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const Vec one = fn();
  for (int threads : {2, 3}) {
    omp_set_num_threads(threads);
    const Vec many = fn();
    ASSERT_EQ(one.size(), many.size());
    EXPECT_EQ(0, std::memcmp(one.data(), many.data(), sizeof(float) * one.size()))
        << name << " differs between 1 and " << threads << " threads";
  }
  omp_set_num_threads(saved);
}

// Expects a gradient accumulated over two calls to be twice that of one call.
void ExpectDoubled(const std::string& name, const Vec& once, const Vec& twice) {
  ASSERT_EQ(once.size(), twice.size());
  for (size_t i = 0; i < once.size(); ++i) {
    ASSERT_NEAR(twice[i], 2.0f * once[i], 1e-6f * (1.0f + std::abs(once[i])))
        << name << "[" << i << "]";
  }
}

// ---- Double-precision references -------------------------------------------------------------

DVec MatmulRef(const DVec& inp, const DVec& weight, int N, int C, int OC) {
  DVec out(static_cast<size_t>(N) * OC);
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < OC; ++o) {
      double sum = 0.0;
      for (int c = 0; c < C; ++c) sum += inp[n * C + c] * weight[o * C + c];
      out[n * OC + o] = sum;
    }
  return out;
}

DVec EmbeddingRef(const std::vector<int32_t>& tokens, const DVec& wte, int C) {
  DVec out;
  for (int32_t token : tokens) out.insert(out.end(), &wte[token * C], &wte[token * C] + C);
  return out;
}

DVec RmsNormRef(const DVec& inp, const DVec& weight, double eps, int N, int C) {
  DVec out(inp.size());
  for (int n = 0; n < N; ++n) {
    double mean_sq = 0.0;
    for (int c = 0; c < C; ++c) mean_sq += inp[n * C + c] * inp[n * C + c] / C;
    for (int c = 0; c < C; ++c)
      out[n * C + c] = inp[n * C + c] / std::sqrt(mean_sq + eps) * weight[c];
  }
  return out;
}

// x * cos + rotate_half(x) * sin, literally, with rotate_half(x) = concat(-x[HS/2:], x[:HS/2]).
DVec RopeRef(const DVec& x, const Vec& cos, const Vec& sin, int B, int T, int H, int HS) {
  DVec out(x.size());
  const int half = HS / 2;
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t)
      for (int h = 0; h < H; ++h) {
        const size_t base = ((static_cast<size_t>(b) * T + t) * H + h) * HS;
        for (int i = 0; i < HS; ++i) {
          const double rotated = i < half ? -x[base + i + half] : x[base + i - half];
          out[base + i] = x[base + i] * cos[t * HS + i] + rotated * sin[t * HS + i];
        }
      }
  return out;
}

struct AttentionShape {
  int B, T, NH, NKV, HS;
};

// Returns out (B, T, NH, HS); fills att (B, NH, T, T) when given.
DVec AttentionRef(const DVec& q, const DVec& k, const DVec& v, const AttentionShape& s,
                  DVec* att = nullptr) {
  const auto [B, T, NH, NKV, HS] = s;
  DVec out(static_cast<size_t>(B) * T * NH * HS, 0.0);
  if (att != nullptr) att->assign(static_cast<size_t>(B) * NH * T * T, 0.0);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h) {
      const int kvh = h / (NH / NKV);
      for (int t = 0; t < T; ++t) {
        DVec p(t + 1);
        double max = -INFINITY;
        for (int j = 0; j <= t; ++j) {
          double dot = 0.0;
          for (int i = 0; i < HS; ++i)
            dot += q[((b * T + t) * NH + h) * HS + i] * k[((b * T + j) * NKV + kvh) * HS + i];
          p[j] = dot / std::sqrt(static_cast<double>(HS));
          max = std::max(max, p[j]);
        }
        double sum = 0.0;
        for (double& pj : p) sum += (pj = std::exp(pj - max));
        for (int j = 0; j <= t; ++j) {
          p[j] /= sum;
          if (att != nullptr) (*att)[((static_cast<size_t>(b) * NH + h) * T + t) * T + j] = p[j];
          for (int i = 0; i < HS; ++i)
            out[((b * T + t) * NH + h) * HS + i] += p[j] * v[((b * T + j) * NKV + kvh) * HS + i];
        }
      }
    }
  return out;
}

DVec SwigluRef(const DVec& gate, const DVec& up) {
  DVec out(gate.size());
  for (size_t i = 0; i < gate.size(); ++i) out[i] = gate[i] / (1.0 + std::exp(-gate[i])) * up[i];
  return out;
}

// Per-row losses, 0 for ignored targets.
DVec CrossEntropyRef(const DVec& logits, const std::vector<int32_t>& targets, int N, int V) {
  DVec losses(N, 0.0);
  for (int n = 0; n < N; ++n) {
    if (targets[n] < 0) continue;
    double sum = 0.0;
    for (int j = 0; j < V; ++j) sum += std::exp(logits[n * V + j]);
    losses[n] = std::log(sum) - logits[n * V + targets[n]];
  }
  return losses;
}

// ---- Matmul ------------------------------------------------------------------------------------

TEST(MatmulTest, ForwardMatchesNaiveLoops) {
  // Large enough for several output tiles, with ragged edges.
  const int N = 300, C = 70, OC = 270;
  const Vec inp = RandomVec(N * C, 1), weight = RandomVec(OC * C, 2);
  Vec out(N * OC);
  MatmulForward(out.data(), inp.data(), weight.data(), N, C, OC);
  ExpectForwardMatches("out", out, MatmulRef(ToDouble(inp), ToDouble(weight), N, C, OC));
}

TEST(MatmulTest, BackwardMatchesFiniteDifferences) {
  const int N = 6, C = 5, OC = 7;
  const Vec inp = RandomVec(N * C, 1), weight = RandomVec(OC * C, 2), R = RandomVec(N * OC, 3);
  Vec dinp(N * C, 0.0f), dweight(OC * C, 0.0f);
  MatmulBackward(dinp.data(), dweight.data(), R.data(), inp.data(), weight.data(), N, C, OC);
  ExpectGradientMatches("dinp", dinp, inp, [&](const DVec& x) {
    return Dot(MatmulRef(x, ToDouble(weight), N, C, OC), R);
  });
  ExpectGradientMatches("dweight", dweight, weight, [&](const DVec& w) {
    return Dot(MatmulRef(ToDouble(inp), w, N, C, OC), R);
  });

  // A null dinp skips it and leaves dweight the same.
  Vec dweight_only(OC * C, 0.0f);
  MatmulBackward(nullptr, dweight_only.data(), R.data(), inp.data(), weight.data(), N, C, OC);
  EXPECT_EQ(dweight_only, dweight);
}

TEST(MatmulTest, BackwardAccumulates) {
  const int N = 40, C = 24, OC = 36;
  const Vec inp = RandomVec(N * C, 1), weight = RandomVec(OC * C, 2), dout = RandomVec(N * OC, 3);
  Vec dinp1(N * C, 0.0f), dweight1(OC * C, 0.0f), dinp2 = dinp1, dweight2 = dweight1;
  MatmulBackward(dinp1.data(), dweight1.data(), dout.data(), inp.data(), weight.data(), N, C, OC);
  for (int i = 0; i < 2; ++i)
    MatmulBackward(dinp2.data(), dweight2.data(), dout.data(), inp.data(), weight.data(), N, C, OC);
  ExpectDoubled("dinp", dinp1, dinp2);
  ExpectDoubled("dweight", dweight1, dweight2);
}

// ---- Embedding ---------------------------------------------------------------------------------

TEST(EmbeddingTest, ForwardGathersAndBackwardScattersRepeatedTokens) {
  const int V = 5, C = 4;
  const std::vector<int32_t> tokens = {3, 0, 3, 4, 3, 1};  // token 3 three times, 2 never
  const int N = static_cast<int>(tokens.size());
  const Vec wte = RandomVec(V * C, 1), R = RandomVec(N * C, 2);
  Vec out(N * C);
  EmbeddingForward(out.data(), tokens.data(), wte.data(), N, C);
  ExpectForwardMatches("out", out, EmbeddingRef(tokens, ToDouble(wte), C));

  Vec dwte(V * C, 0.0f);
  EmbeddingBackward(dwte.data(), R.data(), tokens.data(), N, C);
  ExpectGradientMatches("dwte", dwte, wte,
                        [&](const DVec& w) { return Dot(EmbeddingRef(tokens, w, C), R); });
  for (int c = 0; c < C; ++c) EXPECT_EQ(dwte[2 * C + c], 0.0f);

  Vec dwte2(V * C, 0.0f);
  for (int i = 0; i < 2; ++i) EmbeddingBackward(dwte2.data(), R.data(), tokens.data(), N, C);
  ExpectDoubled("dwte", dwte, dwte2);
}

// ---- RMSNorm -----------------------------------------------------------------------------------

TEST(RmsNormTest, ForwardAndBackwardMatchReference) {
  const int N = 5, C = 8;
  const float eps = 1e-5f;
  const Vec inp = RandomVec(N * C, 1), weight = RandomVec(C, 2, 0.5f, 1.5f),
            R = RandomVec(N * C, 3);
  Vec out(N * C), rstd(N);
  RmsNormForward(out.data(), rstd.data(), inp.data(), weight.data(), eps, N, C);
  ExpectForwardMatches("out", out, RmsNormRef(ToDouble(inp), ToDouble(weight), eps, N, C));

  Vec dinp(N * C, 0.0f), dweight(C, 0.0f);
  RmsNormBackward(dinp.data(), dweight.data(), R.data(), inp.data(), weight.data(), rstd.data(), N,
                  C);
  ExpectGradientMatches("dinp", dinp, inp, [&](const DVec& x) {
    return Dot(RmsNormRef(x, ToDouble(weight), eps, N, C), R);
  });
  ExpectGradientMatches("dweight", dweight, weight, [&](const DVec& w) {
    return Dot(RmsNormRef(ToDouble(inp), w, eps, N, C), R);
  });

  Vec dinp2(N * C, 0.0f), dweight2(C, 0.0f);
  for (int i = 0; i < 2; ++i)
    RmsNormBackward(dinp2.data(), dweight2.data(), R.data(), inp.data(), weight.data(), rstd.data(),
                    N, C);
  ExpectDoubled("dinp", dinp, dinp2);
  ExpectDoubled("dweight", dweight, dweight2);
}

// ---- RoPE --------------------------------------------------------------------------------------

TEST(RopeTest, TableMatchesFormula) {
  const int T = 16, HS = 8;
  const float theta = 10000.0f;
  Vec cos(T * HS), sin(T * HS);
  RopeTable(cos.data(), sin.data(), T, HS, theta);
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < HS; ++i) {
      // fp32 rounding of t * inv_freq (|angle| <= 16) moves the angle by a few 1e-6.
      const double angle = t * std::pow(10000.0, -2.0 * (i % (HS / 2)) / HS);
      EXPECT_NEAR(cos[t * HS + i], std::cos(angle), 1e-5) << t << "," << i;
      EXPECT_NEAR(sin[t * HS + i], std::sin(angle), 1e-5) << t << "," << i;
    }
}

TEST(RopeTest, ForwardAndBackwardMatchReference) {
  const int B = 2, T = 5, H = 3, HS = 8;
  Vec cos(T * HS), sin(T * HS);
  RopeTable(cos.data(), sin.data(), T, HS, 10000.0f);
  const Vec x = RandomVec(B * T * H * HS, 1), R = RandomVec(B * T * H * HS, 2);
  Vec rotated = x;
  RopeForward(rotated.data(), cos.data(), sin.data(), B, T, H, HS);
  ExpectForwardMatches("out", rotated, RopeRef(ToDouble(x), cos, sin, B, T, H, HS));

  Vec dx = R;
  RopeBackward(dx.data(), cos.data(), sin.data(), B, T, H, HS);
  ExpectGradientMatches("dx", dx, x,
                        [&](const DVec& xd) { return Dot(RopeRef(xd, cos, sin, B, T, H, HS), R); });
}

TEST(RopeTest, BackwardInvertsForward) {
  const int B = 2, T = 33, H = 4, HS = 16;
  Vec cos(T * HS), sin(T * HS);
  RopeTable(cos.data(), sin.data(), T, HS, 10000.0f);
  const Vec x = RandomVec(B * T * H * HS, 1);
  Vec y = x;
  RopeForward(y.data(), cos.data(), sin.data(), B, T, H, HS);
  EXPECT_NE(y, x);
  RopeBackward(y.data(), cos.data(), sin.data(), B, T, H, HS);
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(y[i], x[i], 1e-6) << i;
}

// ---- Attention ---------------------------------------------------------------------------------

// T = 40 spans two of the kernel's 32-query row blocks.
constexpr AttentionShape kGqa = {2, 40, 4, 2, 8};

size_t QSize(const AttentionShape& s) { return static_cast<size_t>(s.B) * s.T * s.NH * s.HS; }
size_t KvSize(const AttentionShape& s) { return static_cast<size_t>(s.B) * s.T * s.NKV * s.HS; }
size_t AttSize(const AttentionShape& s) { return static_cast<size_t>(s.B) * s.NH * s.T * s.T; }

TEST(AttentionTest, ForwardMatchesReference) {
  const AttentionShape s = kGqa;
  const Vec q = RandomVec(QSize(s), 1, -2, 2), k = RandomVec(KvSize(s), 2, -2, 2),
            v = RandomVec(KvSize(s), 3);
  Vec out(QSize(s)), att(AttSize(s), -1.0f);
  AttentionForward(out.data(), att.data(), q.data(), k.data(), v.data(), s.B, s.T, s.NH, s.NKV,
                   s.HS);
  DVec att_ref;
  const DVec out_ref = AttentionRef(ToDouble(q), ToDouble(k), ToDouble(v), s, &att_ref);
  ExpectForwardMatches("out", out, out_ref);
  ExpectForwardMatches("att", att, att_ref);  // includes the zeros above the diagonal
}

TEST(AttentionTest, FutureKeysAndValuesDoNotChangeEarlierOutputs) {
  const AttentionShape s = kGqa;
  const Vec q = RandomVec(QSize(s), 1), k = RandomVec(KvSize(s), 2), v = RandomVec(KvSize(s), 3);
  Vec out(QSize(s)), att(AttSize(s));
  AttentionForward(out.data(), att.data(), q.data(), k.data(), v.data(), s.B, s.T, s.NH, s.NKV,
                   s.HS);
  const int t0 = 35;  // change k, v of batch 0 at times >= t0
  Vec k2 = k, v2 = v;
  for (int t = t0; t < s.T; ++t)
    for (int i = 0; i < s.NKV * s.HS; ++i) {
      k2[t * s.NKV * s.HS + i] += 0.5f;
      v2[t * s.NKV * s.HS + i] -= 0.5f;
    }
  Vec out2(QSize(s)), att2(AttSize(s));
  AttentionForward(out2.data(), att2.data(), q.data(), k2.data(), v2.data(), s.B, s.T, s.NH, s.NKV,
                   s.HS);
  const size_t row = static_cast<size_t>(s.NH) * s.HS;
  for (size_t i = 0; i < t0 * row; ++i) ASSERT_EQ(out[i], out2[i]) << i;
  bool later_changed = false;
  for (size_t i = t0 * row; i < s.T * row; ++i) later_changed |= out[i] != out2[i];
  EXPECT_TRUE(later_changed);
}

TEST(AttentionTest, BackwardMatchesFiniteDifferencesWithGroupedQueryHeads) {
  const AttentionShape s = kGqa;
  const Vec q = RandomVec(QSize(s), 1, -2, 2), k = RandomVec(KvSize(s), 2, -2, 2),
            v = RandomVec(KvSize(s), 3), R = RandomVec(QSize(s), 4);
  Vec out(QSize(s)), att(AttSize(s));
  AttentionForward(out.data(), att.data(), q.data(), k.data(), v.data(), s.B, s.T, s.NH, s.NKV,
                   s.HS);
  Vec dq(QSize(s), 0.0f), dk(KvSize(s), 0.0f), dv(KvSize(s), 0.0f);
  AttentionBackward(dq.data(), dk.data(), dv.data(), R.data(), att.data(), q.data(), k.data(),
                    v.data(), s.B, s.T, s.NH, s.NKV, s.HS);
  const DVec qd = ToDouble(q), kd = ToDouble(k), vd = ToDouble(v);
  ExpectGradientMatches("dq", dq, q,
                        [&](const DVec& x) { return Dot(AttentionRef(x, kd, vd, s), R); });
  ExpectGradientMatches("dk", dk, k,
                        [&](const DVec& x) { return Dot(AttentionRef(qd, x, vd, s), R); });
  ExpectGradientMatches("dv", dv, v,
                        [&](const DVec& x) { return Dot(AttentionRef(qd, kd, x, s), R); });

  Vec dq2(QSize(s), 0.0f), dk2(KvSize(s), 0.0f), dv2(KvSize(s), 0.0f);
  for (int i = 0; i < 2; ++i)
    AttentionBackward(dq2.data(), dk2.data(), dv2.data(), R.data(), att.data(), q.data(), k.data(),
                      v.data(), s.B, s.T, s.NH, s.NKV, s.HS);
  ExpectDoubled("dq", dq, dq2);
  ExpectDoubled("dk", dk, dk2);
  ExpectDoubled("dv", dv, dv2);
}

// ---- SwiGLU ------------------------------------------------------------------------------------

TEST(SwigluTest, ForwardAndBackwardMatchReference) {
  const int N = 4, F = 9;
  const Vec gate = RandomVec(N * F, 1, -4, 4), up = RandomVec(N * F, 2), R = RandomVec(N * F, 3);
  Vec out(N * F);
  SwigluForward(out.data(), gate.data(), up.data(), N, F);
  ExpectForwardMatches("out", out, SwigluRef(ToDouble(gate), ToDouble(up)));

  Vec dgate(N * F, 0.0f), dup(N * F, 0.0f);
  SwigluBackward(dgate.data(), dup.data(), R.data(), gate.data(), up.data(), N, F);
  ExpectGradientMatches("dgate", dgate, gate,
                        [&](const DVec& g) { return Dot(SwigluRef(g, ToDouble(up)), R); });
  ExpectGradientMatches("dup", dup, up,
                        [&](const DVec& u) { return Dot(SwigluRef(ToDouble(gate), u), R); });

  Vec dgate2(N * F, 0.0f), dup2(N * F, 0.0f);
  for (int i = 0; i < 2; ++i)
    SwigluBackward(dgate2.data(), dup2.data(), R.data(), gate.data(), up.data(), N, F);
  ExpectDoubled("dgate", dgate, dgate2);
  ExpectDoubled("dup", dup, dup2);
}

// ---- Cross-entropy -----------------------------------------------------------------------------

TEST(CrossEntropyTest, ForwardAndBackwardMatchReferenceWithIgnoredTarget) {
  const int N = 4, V = 7;
  const std::vector<int32_t> targets = {3, 0, -1, 6};
  const Vec logits = RandomVec(N * V, 1, -3, 3);
  Vec losses(N, -1.0f);
  const double mean = CrossEntropyForward(losses.data(), logits.data(), targets.data(), N, V);
  const DVec losses_ref = CrossEntropyRef(ToDouble(logits), targets, N, V);
  ExpectForwardMatches("losses", losses, losses_ref);
  EXPECT_EQ(losses[2], 0.0f);
  EXPECT_NEAR(mean, (losses_ref[0] + losses_ref[1] + losses_ref[3]) / 3.0, 1e-5);

  const float scale = 1.0f / 3.0f;
  Vec dlogits = logits;
  CrossEntropyBackward(dlogits.data(), targets.data(), scale, N, V);
  ExpectGradientMatches("dlogits", dlogits, logits, [&](const DVec& x) {
    const DVec l = CrossEntropyRef(x, targets, N, V);
    return scale * std::accumulate(l.begin(), l.end(), 0.0);
  });
  for (int j = 0; j < V; ++j) EXPECT_EQ(dlogits[2 * V + j], 0.0f);
}

TEST(CrossEntropyTest, StableForLargeLogits) {
  const int N = 2, V = 5;
  const std::vector<int32_t> targets = {1, 4};
  const Vec logits = RandomVec(N * V, 1, -3, 3);
  Vec shifted = logits;
  for (float& x : shifted) x += 1000.0f;
  Vec losses(N), losses_shifted(N);
  const double mean = CrossEntropyForward(losses.data(), logits.data(), targets.data(), N, V);
  const double mean_shifted =
      CrossEntropyForward(losses_shifted.data(), shifted.data(), targets.data(), N, V);
  ASSERT_TRUE(std::isfinite(mean_shifted));
  // Adding 1000 rounds each logit to a multiple of 2^-14 (6e-5).
  EXPECT_NEAR(mean_shifted, mean, 2e-4);
  CrossEntropyBackward(shifted.data(), targets.data(), 1.0f, N, V);
  for (float g : shifted) EXPECT_TRUE(std::isfinite(g));
}

// ---- Optimizer helpers -------------------------------------------------------------------------

TEST(AdamWTest, TwoStepsMatchHandComputedValues) {
  // lr 0.1, betas (0.9, 0.999), eps 1e-8, weight decay 0.01; expected values worked out in double
  // from param -= lr * (mhat / (sqrt(vhat) + eps) + weight_decay * param). The betas arrive as
  // fp32: 1 - 0.999f is 1.3e-5 (relatively) off 0.001, which moves v by as much; the bias
  // correction divides it out again, so params still match to 1e-6.
  Vec param = {1.0f, -2.0f, 0.5f}, m(3, 0.0f), v(3, 0.0f);
  const Vec grad1 = {0.5f, -0.1f, 0.0f}, grad2 = {-0.25f, 0.3f, 2.0f};
  AdamWUpdate(param.data(), grad1.data(), m.data(), v.data(), 3, 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f,
              1);
  const DVec param1 = {0.899000002, -1.89800001, 0.4995}, m1 = {0.05, -0.01, 0.0},
             v1 = {0.00025, 1e-05, 0.0};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(param[i], param1[i], 1e-6) << i;
    EXPECT_NEAR(m[i], m1[i], 1e-7) << i;
    EXPECT_NEAR(v[i], v1[i], 2e-5 * v1[i]) << i;
  }
  AdamWUpdate(param.data(), grad2.data(), m.data(), v.data(), 3, 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f,
              2);
  const DVec param2 = {0.871467299, -1.94552099, 0.424586818}, m2 = {0.02, 0.021, 0.2},
             v2 = {0.00031225, 9.999e-05, 0.004};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(param[i], param2[i], 1e-6) << i;
    EXPECT_NEAR(m[i], m2[i], 1e-7) << i;
    EXPECT_NEAR(v[i], v2[i], 2e-5 * v2[i]) << i;
  }
}

TEST(VectorOpsTest, AddInPlaceAndSumOfSquares) {
  Vec y = {1.0f, 2.0f, 3.0f};
  const Vec x = {0.5f, -2.0f, 4.0f};
  AddInPlace(y.data(), x.data(), 3);
  EXPECT_EQ(y, (Vec{1.5f, 0.0f, 7.0f}));
  EXPECT_EQ(SumOfSquares(y.data(), 3), 1.5 * 1.5 + 49.0);

  const Vec big = RandomVec(200001, 1);  // several chunks
  double want = 0.0;
  for (float value : big) want += static_cast<double>(value) * value;
  EXPECT_NEAR(SumOfSquares(big.data(), static_cast<int64_t>(big.size())), want, 1e-9 * want);
}

// ---- Determinism -------------------------------------------------------------------------------

// Shapes large enough that every kernel takes its parallel path.
TEST(DeterminismTest, SameBitsAtAnyThreadCount) {
  const int N = 300, C = 200, OC = 270, V = 1000;
  const Vec inp = RandomVec(N * C, 1), weight = RandomVec(OC * C, 2), dout = RandomVec(N * OC, 3);
  {
    // A long inner dimension: Eigen's own threading would change its blocking, and so the bits.
    const int K = 1024;
    const Vec a = RandomVec(N * K, 11), w = RandomVec(OC * K, 12);
    ExpectSameAtAnyThreadCount("matmul", [&] {
      Vec out(N * OC), dinp(N * K, 0.0f), dweight(OC * K, 0.0f);
      MatmulForward(out.data(), a.data(), w.data(), N, K, OC);
      MatmulBackward(dinp.data(), dweight.data(), dout.data(), a.data(), w.data(), N, K, OC);
      out.insert(out.end(), dinp.begin(), dinp.end());
      out.insert(out.end(), dweight.begin(), dweight.end());
      return out;
    });
  }

  std::vector<int32_t> tokens(N);
  for (int n = 0; n < N; ++n) tokens[n] = (n * 7919) % 50;  // many repeats
  const Vec dout_c = RandomVec(N * C, 4);
  ExpectSameAtAnyThreadCount("embedding", [&] {
    Vec out(N * C), dwte(50 * C, 0.0f);
    EmbeddingForward(out.data(), tokens.data(), weight.data(), N, C);
    EmbeddingBackward(dwte.data(), dout_c.data(), tokens.data(), N, C);
    out.insert(out.end(), dwte.begin(), dwte.end());
    return out;
  });

  ExpectSameAtAnyThreadCount("rmsnorm", [&] {
    Vec out(N * C), rstd(N), dinp(N * C, 0.0f), dweight(C, 0.0f);
    RmsNormForward(out.data(), rstd.data(), inp.data(), weight.data(), 1e-5f, N, C);
    RmsNormBackward(dinp.data(), dweight.data(), dout_c.data(), inp.data(), weight.data(),
                    rstd.data(), N, C);
    out.insert(out.end(), dinp.begin(), dinp.end());
    out.insert(out.end(), dweight.begin(), dweight.end());
    return out;
  });

  const AttentionShape s = {4, 100, 4, 2, 16};
  const Vec q = RandomVec(QSize(s), 5), k = RandomVec(KvSize(s), 6), v = RandomVec(KvSize(s), 7),
            dout_att = RandomVec(QSize(s), 8);
  ExpectSameAtAnyThreadCount("attention+rope", [&] {
    Vec cos(s.T * s.HS), sin(s.T * s.HS);
    RopeTable(cos.data(), sin.data(), s.T, s.HS, 10000.0f);
    Vec qr = q;
    RopeForward(qr.data(), cos.data(), sin.data(), s.B, s.T, s.NH, s.HS);
    Vec out(QSize(s)), att(AttSize(s)), dq(QSize(s), 0.0f), dk(KvSize(s), 0.0f),
        dv(KvSize(s), 0.0f);
    AttentionForward(out.data(), att.data(), qr.data(), k.data(), v.data(), s.B, s.T, s.NH, s.NKV,
                     s.HS);
    AttentionBackward(dq.data(), dk.data(), dv.data(), dout_att.data(), att.data(), qr.data(),
                      k.data(), v.data(), s.B, s.T, s.NH, s.NKV, s.HS);
    RopeBackward(dq.data(), cos.data(), sin.data(), s.B, s.T, s.NH, s.HS);
    for (const Vec* part : {&att, &dq, &dk, &dv}) out.insert(out.end(), part->begin(), part->end());
    return out;
  });

  ExpectSameAtAnyThreadCount("swiglu", [&] {
    Vec out(N * C), dgate(N * C, 0.0f), dup(N * C, 0.0f);
    SwigluForward(out.data(), inp.data(), dout_c.data(), N, C);
    SwigluBackward(dgate.data(), dup.data(), out.data(), inp.data(), dout_c.data(), N, C);
    out.insert(out.end(), dgate.begin(), dgate.end());
    out.insert(out.end(), dup.begin(), dup.end());
    return out;
  });

  std::vector<int32_t> targets(N);
  for (int n = 0; n < N; ++n) targets[n] = n % 11 == 0 ? -1 : (n * 31) % V;
  const Vec logits = RandomVec(N * V, 9, -5, 5);
  ExpectSameAtAnyThreadCount("cross_entropy", [&] {
    Vec losses(N), dlogits = logits;
    const double mean = CrossEntropyForward(losses.data(), logits.data(), targets.data(), N, V);
    CrossEntropyBackward(dlogits.data(), targets.data(), 1.0f / N, N, V);
    losses.push_back(static_cast<float>(mean));
    losses.insert(losses.end(), dlogits.begin(), dlogits.end());
    return losses;
  });

  const Vec grad = RandomVec(N * V, 10);
  ExpectSameAtAnyThreadCount("adamw+sum_of_squares", [&] {
    Vec param = logits, m(logits.size(), 0.0f), v2(logits.size(), 0.0f);
    const int64_t n = static_cast<int64_t>(param.size());
    for (int64_t step = 1; step <= 2; ++step)
      AdamWUpdate(param.data(), grad.data(), m.data(), v2.data(), n, 1e-3f, 0.9f, 0.95f, 1e-8f,
                  0.1f, step);
    AddInPlace(param.data(), logits.data(), n);
    const double sum_sq = SumOfSquares(param.data(), n);
    param.push_back(static_cast<float>(sum_sq));
    param.push_back(static_cast<float>(sum_sq - static_cast<float>(sum_sq)));
    return param;
  });
}

}  // namespace
}  // namespace mixlaw::cpu
