//! Many runs and their files: the sweep runner ([`run`]), the result files ([`results`]),
//! chart data ([`charts`]), and the views of one run's trace: one connection as its ladders
//! draw it ([`conversation`]), drawn as text ([`ladder`]) or exported ([`export`]), and the
//! state machine ([`states`]).

pub mod charts;
pub mod conversation;
pub mod export;
pub mod ladder;
pub mod results;
pub mod run;
pub mod states;
