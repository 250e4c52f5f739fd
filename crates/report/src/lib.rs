//! Many runs and their files: the sweep runner ([`run`]), the result files ([`results`]),
//! chart data ([`charts`]), and the views of one run's trace ([`export`], [`states`]).

pub mod charts;
pub mod export;
pub mod ladder;
pub mod results;
pub mod run;
pub mod states;
