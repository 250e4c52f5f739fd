//! Many runs and their files, and the views of one run, in one place: the experiment file
//! read once ([`source`]); the sweep runner ([`run`]) with its journal ([`journal`],
//! [`sweep`]) and the merge of shards ([`merge`]); the results directory ([`output`]) with
//! its tables ([`results`]), manifest ([`manifest`]) and charts ([`charts`]), written as
//! one set by [`files`]; and the views of one run's trace ([`view`]): one connection as
//! its ladders draw it ([`conversation`]), drawn as text ([`ladder`]) or exported
//! ([`export`]), and the state machine ([`states`]).

pub mod charts;
pub mod conversation;
pub mod export;
pub mod files;
pub mod journal;
pub mod ladder;
pub mod manifest;
pub mod merge;
pub mod output;
pub mod results;
pub mod run;
pub mod source;
pub mod states;
pub mod sweep;
pub mod view;
