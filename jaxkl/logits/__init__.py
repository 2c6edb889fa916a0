"""KL and generalized Jensen–Shannon divergences between distributions given by logits.

Built for the [tokens, vocab] arrays of distillation and RL fine-tuning:

* memory that does not grow with the vocabulary: both functions are ``custom_vjp``
  functions whose residuals are the inputs and a few per-row scalars; the backward pass forms
  the gradients element-wise from them;
* on CPU, rows are processed in blocks of about ``2**18`` entries (a loop over row
  blocks), because XLA:CPU materializes the element-wise producer of every reduction:
  without blocks each reduction would hold a float32 [tokens, vocab] temporary. On
  GPU/TPU the whole array is one block (XLA fuses producers into reductions there);
* bfloat16/float16 inputs are read as they are and converted inside the fused
  element-wise code (accumulation in float32); gradients come back in the input dtype;
* accuracy near p = q: the per-entry log-ratio ℓ_k = log p_k − log q_k is formed to
  full *relative* precision however close the distributions are, and the KL is summed
  from non-negative Bregman terms, so a KL of 1e-11 in float32 keeps ~7 digits (the
  textbook ``Σ p (log p − log q)`` keeps none below about 1e-7).

How ℓ is formed. With w_k = a_k − b_k and C = logsumexp(a) − logsumexp(b), ℓ_k = w_k − C.
Near p = q all w_k share a large common part, so w_k is kept as an exact pair s_k + e_k
(TwoSum), shifted by w0 = max(a) − max(b) (exact: s_k − w0 is small), giving
d_k = w_k − w0 to a few ulp *of d_k*. Then C − w0 = log Σ_k q_k·e^{d_k} =
log1p(S) with S = Σ_k q_k·expm1(d_k), a sum of small terms without cancellation, and
ℓ_k = d_k − log1p(S). One pass over the row gives, besides the two normalizers, S and
H = Σ_k q_k·h(d_k) with h(d) = 1 + (d − 1)·e^d ≥ 0, from which
KL = H/(1 + S) − (log1p(S) − S/(1 + S)): two non-negative terms whose difference is
the KL (both are small near p = q; they cancel badly only when w0 is far from every
w_k, which happens only for distant distributions, where the direct
E_p[d] − log(Σe^a/Σe^b) is used instead).
"""

from .jsd import jsd_logits as jsd_logits
from .kl import kl_logits as kl_logits

__all__ = ["jsd_logits", "kl_logits"]
