import { GraphBuilder } from '@edgefleet/onnx';

export interface LossInputs {
  /** Student logits [B, K]. */
  logits: string;
  /** One-hot labels [B, K] (any row for unlabeled samples: its weight is 0). */
  target: string;
  /** Per-row weight of the cross-entropy term [B, 1]: (1−α)/B for labeled rows, 0 for unlabeled. */
  ceWeight: string;
  /** Teacher logits [B, K]; absent for hard-label training. */
  teacher?: string;
  /** Per-row weight of the KD term [B, 1]: α/B for labeled rows, 1/B for unlabeled ones. */
  kdWeight?: string;
  temperature: number;
}

/**
 * Hinton et al. (2015): Σ_i kd_i·T²·KL(softmax(t_i/T) ‖ softmax(s_i/T)) + ce_i·CE(y_i, softmax(s_i)).
 * Row weights carry α, the labeled mask and 1/B, so one graph serves every labeled fraction and
 * batch size. Returns the scalar loss and its hand-derived gradient w.r.t. the logits:
 *   ∂/∂s = kd·T·(softmax(s/T) − softmax(t/T)) + ce·(softmax(s) − y)
 * (the T² factor keeps soft-target gradients on the same scale as hard ones when T changes).
 */
export function emitDistillLoss(g: GraphBuilder, i: LossInputs): { loss: string; dlogits: string } {
  const axis1 = g.const('axes1', [1], 'int64');
  const logp = g.op('LogSoftmax', [i.logits], { axis: 1 }, 'logp');
  const ceRow = g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [i.target, logp]), axis1], { keepdims: 1 })], {}, 'ce_row');
  let loss = g.op('ReduceSum', [g.op('Mul', [i.ceWeight, ceRow])], { keepdims: 0 }, 'ce_loss');
  let dlogits = g.op('Mul', [i.ceWeight, g.op('Sub', [g.op('Exp', [logp]), i.target])], {}, 'dce');
  if (i.teacher && i.kdWeight) {
    const T = i.temperature;
    const invT = g.const('inv_T', 1 / T);
    const logq = g.op('LogSoftmax', [g.op('Mul', [i.logits, invT])], { axis: 1 }, 'logq_s');
    const logpt = g.op('LogSoftmax', [g.op('Mul', [i.teacher, invT])], { axis: 1 }, 'logp_t');
    const pt = g.op('Exp', [logpt], {}, 'p_t');
    const klRow = g.op('ReduceSum', [g.op('Mul', [pt, g.op('Sub', [logpt, logq])]), axis1], { keepdims: 1 }, 'kl_row');
    const kd = g.op('Mul', [g.op('ReduceSum', [g.op('Mul', [i.kdWeight, klRow])], { keepdims: 0 }), g.const('T2', T * T)], {}, 'kd_loss');
    loss = g.op('Add', [loss, kd], {}, 'loss_sum');
    const dkd = g.op('Mul', [g.op('Mul', [i.kdWeight, g.const('T', T)]), g.op('Sub', [g.op('Exp', [logq]), pt])], {}, 'dkd');
    dlogits = g.op('Add', [dlogits, dkd], {}, 'dlogits');
  }
  return { loss, dlogits };
}
