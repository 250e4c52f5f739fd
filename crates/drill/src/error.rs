//! Errors in a script's text.

use thiserror::Error;

use crate::script::Span;

/// A malformed script: where, and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{span}: {message}")]
pub struct ParseError {
    pub span: Span,
    pub message: String,
}

impl ParseError {
    pub fn at(span: Span, message: impl Into<String>) -> ParseError {
        ParseError {
            span,
            message: message.into(),
        }
    }
}
