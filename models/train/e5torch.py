"""e5-small in plain torch for training: the same math as the served CTranslate2 encoder, LoRA on the top layers.

Why not transformers + peft: we train only the top ``k`` layers and cache the output of the frozen lower layers
once (a 3x cheaper epoch on two cores), which needs the layers as plain modules; the model is 60 lines.
``check_against_transformers()`` proves it equals HF ``BertModel`` on the same weights when transformers is installed.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from vocsvc.nlp.e5 import LAYER_NAMES, E5Base

LORA_TARGETS = ("q", "k", "v", "ao", "fi", "fo")


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update ``scale * B @ A`` (A: r x in, B: out x r)."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, r: int = 0, alpha: float = 32, dropout: float = 0.1):
        super().__init__()
        self.weight = nn.Parameter(torch.from_numpy(weight.copy()), requires_grad=False)
        self.bias = nn.Parameter(torch.from_numpy(bias.copy()), requires_grad=False)
        self.r = r
        if r:
            self.lora_A = nn.Parameter(torch.empty(r, weight.shape[1]))
            self.lora_B = nn.Parameter(torch.zeros(weight.shape[0], r))
            nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
            self.scale = alpha / r
            self.drop = nn.Dropout(dropout)

    def forward(self, x):
        y = F.linear(x, self.weight, self.bias)
        if self.r:
            y = y + (self.drop(x) @ self.lora_A.t() @ self.lora_B.t()) * self.scale
        return y


def _ln(w: dict, name: str, eps: float, trainable: bool) -> nn.LayerNorm:
    ln = nn.LayerNorm(w[name + ".weight"].shape[0], eps=eps)
    ln.weight.data = torch.from_numpy(w[name + ".weight"].copy())
    ln.bias.data = torch.from_numpy(w[name + ".bias"].copy())
    ln.weight.requires_grad = ln.bias.requires_grad = trainable
    return ln


class Layer(nn.Module):
    def __init__(self, w: dict, i: int, heads: int, eps: float, r: int, alpha: float, dropout: float):
        super().__init__()
        p = f"encoder.layer.{i}."
        self.prefix = p
        self.heads = heads
        lin = {s: LoRALinear(w[p + LAYER_NAMES[s] + ".weight"], w[p + LAYER_NAMES[s] + ".bias"],
                             r if s in LORA_TARGETS else 0, alpha, dropout) for s in ("q", "k", "v", "ao", "fi", "fo")}
        self.lin = nn.ModuleDict(lin)
        self.aln = _ln(w, p + LAYER_NAMES["aln"], eps, r > 0)
        self.oln = _ln(w, p + LAYER_NAMES["oln"], eps, r > 0)
        self.drop = nn.Dropout(dropout if r else 0.0)

    def forward(self, x, add_mask):
        b, L, H = x.shape
        hd = H // self.heads

        def split(t):
            return t.view(b, L, self.heads, hd).transpose(1, 2)

        q, k, v = split(self.lin["q"](x)), split(self.lin["k"](x)), split(self.lin["v"](x))
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=add_mask.to(q.dtype))  # CUDA wants them alike
        ctx = ctx.transpose(1, 2).reshape(b, L, H)
        x = self.aln(x + self.drop(self.lin["ao"](ctx)))
        h = F.gelu(self.lin["fi"](x))
        return self.oln(x + self.drop(self.lin["fo"](h)))


class E5Torch(nn.Module):
    """Embeddings + 12 layers; ``lower(ids, mask)`` runs the frozen part, ``upper(h, mask)`` the trained part."""

    def __init__(self, base: E5Base, train_layers: int = 6, r: int = 16, alpha: float = 32, dropout: float = 0.1):
        super().__init__()
        c, w = base.config, base.weights
        self.cfg = c
        self.split = c.layers - train_layers
        self.word = nn.Embedding.from_pretrained(torch.from_numpy(w["embeddings.word_embeddings.weight"]), freeze=True)
        self.pos = nn.Embedding.from_pretrained(torch.from_numpy(w["embeddings.position_embeddings.weight"]), freeze=True)
        self.tok_type = nn.Parameter(torch.from_numpy(w["embeddings.token_type_embeddings.weight"][0].copy()),
                                 requires_grad=False)
        self.eln = _ln(w, "embeddings.LayerNorm", c.eps, False)
        self.layers = nn.ModuleList(
            Layer(w, i, c.heads, c.eps, r if i >= self.split else 0, alpha, dropout) for i in range(c.layers))

    @staticmethod
    def add_mask(mask: torch.Tensor) -> torch.Tensor:
        """(b, L) 0/1 -> (b, 1, 1, L) additive mask for scaled_dot_product_attention."""
        return ((1.0 - mask[:, None, None, :].float()) * -1e9)

    def lower(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(ids.shape[1], device=ids.device)[None, :]
        x = self.eln(self.word(ids) + self.pos(pos) + self.tok_type)
        am = self.add_mask(mask)
        for layer in self.layers[: self.split]:
            x = layer(x, am)
        return x

    def upper(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Hidden states after the lower layers -> L2-normalised mean-pooled embedding (as served)."""
        am = self.add_mask(mask)
        for layer in self.layers[self.split :]:
            x = layer(x, am)
        m = mask[..., None].to(x.dtype)
        pooled = (x * m).sum(1) / m.sum(1)
        return F.normalize(pooled, dim=-1)

    def forward(self, ids, mask):
        return self.upper(self.lower(ids, mask), mask)

    def adapter_tensors(self) -> dict[str, np.ndarray]:
        """What the serving side merges (vocsvc.nlp.e5.apply_adapter): LoRA factors and the trained LayerNorms."""
        out = {}
        for i, layer in enumerate(self.layers):
            if i < self.split:
                continue
            p = f"encoder.layer.{i}."
            for s, lin in layer.lin.items():
                if lin.r:
                    out[p + LAYER_NAMES[s] + ".lora_A"] = lin.lora_A.detach().numpy().astype(np.float16)
                    out[p + LAYER_NAMES[s] + ".lora_B"] = lin.lora_B.detach().numpy().astype(np.float16)
            for s in ("aln", "oln"):
                ln = getattr(layer, s)
                out[p + LAYER_NAMES[s] + ".weight"] = ln.weight.detach().numpy().astype(np.float32)
                out[p + LAYER_NAMES[s] + ".bias"] = ln.bias.detach().numpy().astype(np.float32)
        return out

    def lora_scale(self) -> float:
        return next(lin.scale for layer in self.layers for lin in layer.lin.values() if lin.r)


def check_against_transformers(base: E5Base, ids: list[list[int]]) -> float:
    """Max |difference| of pooled embeddings between this model (no LoRA) and transformers' BertModel."""
    from transformers import BertConfig, BertModel

    c = base.config
    hf = BertModel(BertConfig(vocab_size=c.vocab, hidden_size=c.hidden, num_hidden_layers=c.layers,
                              num_attention_heads=c.heads, intermediate_size=c.ffn, max_position_embeddings=c.max_positions,
                              type_vocab_size=c.type_vocab, layer_norm_eps=c.eps, pad_token_id=c.pad),
                   add_pooling_layer=False).eval()
    hf.load_state_dict({k: torch.from_numpy(v) for k, v in base.weights.items()}, strict=False)
    ours = E5Torch(base, train_layers=0).eval()
    L = max(map(len, ids))
    t = torch.tensor([s + [c.pad] * (L - len(s)) for s in ids])
    m = torch.tensor([[1] * len(s) + [0] * (L - len(s)) for s in ids])
    with torch.no_grad():
        a = ours(t, m)
        hs = hf(input_ids=t, attention_mask=m).last_hidden_state
        b = F.normalize((hs * m[..., None]).sum(1) / m.sum(1, keepdim=True), dim=-1)
    return float((a - b).abs().max())
