//! Many runs and their files, and the views of one run, in one place: the sweep runner
//! ([`run`]); the results directory ([`output`]) with its tables ([`results`]), manifest
//! ([`manifest`]) and charts ([`charts`]), every file written by the one atomic writer
//! ([`files`]); and the views of one run's trace ([`view`]): one connection as its ladders
//! draw it ([`conversation`]), drawn as text ([`ladder`]) or exported ([`export`]), and the
//! state machine ([`states`]).

pub mod charts;
pub mod conversation;
pub mod export;
pub mod files;
pub mod ladder;
pub mod manifest;
pub mod output;
pub mod results;
pub mod run;
pub mod states;
pub mod view;
