//! Loss on the wire: Bernoulli, or the Gilbert-Elliott two-state chain.
//!
//! Per packet that reaches the wire, the loss is decided in the current state first, and
//! then the chain makes its transition. In that order a run of bad states is a run of
//! consecutive packets, so in Gilbert's model (`k = 1, h = 0`) a loss burst lasts exactly as
//! long as a stay in the bad state: geometric with mean `1 / r`.
//!
//! The chain starts in a state drawn from its stationary distribution (bad with probability
//! `p / (p + r)`), not in the good state as netem does: then every packet, the first ones
//! included, is lost with probability [`LossModel::mean_loss`], which matters for
//! experiments of a handful of packets, such as one handshake.
//!
//! Simplified: the chain steps once per packet, not per unit of time, as netem's does. An idle link keeps its state however long it is idle, so a
//! retransmission after a long timeout still finds the burst that lost the original; a real
//! fading channel would have forgotten it.

use crate::draws::{chance, Draws};
use crate::LossModel;

#[derive(Clone, Debug)]
pub(crate) struct Wire {
    model: LossModel,
    /// The Gilbert-Elliott state; always false for the other models.
    bad: bool,
}

impl Wire {
    /// `word` picks the initial state; it is drawn for every model, so that the per-packet
    /// draws line up whatever the model.
    pub fn new(model: LossModel, word: u32) -> Wire {
        let bad = match model {
            LossModel::GilbertElliott { p, r, .. } if p + r > 0.0 => chance(word, p / (p + r)),
            _ => false,
        };
        Wire { model, bad }
    }

    /// Is this packet lost? Steps the chain.
    pub fn lose(&mut self, draws: &Draws) -> bool {
        match self.model {
            LossModel::None => false,
            LossModel::Bernoulli(p) => chance(draws.loss, p),
            LossModel::GilbertElliott { p, r, k, h } => {
                let keep = if self.bad { h } else { k };
                let lost = !chance(draws.loss, keep);
                let leave = if self.bad { r } else { p };
                if chance(draws.transition, leave) {
                    self.bad = !self.bad;
                }
                lost
            }
        }
    }
}
