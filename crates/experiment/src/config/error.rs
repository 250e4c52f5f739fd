//! [`ConfigError`]: what is wrong with an experiment file, and where.

use std::fmt;

/// Where an error was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A file, with the 1-based line and column of the offending key or value when known.
    File {
        /// The file's name as given to [`Experiment::load`](super::Experiment::load) or
        /// [`Experiment::parse`](super::Experiment::parse).
        file: String,
        /// Line and column (1-based, columns in characters).
        position: Option<(usize, usize)>,
    },
    /// One value of a `[sweep]` list: the file position of that value.
    Sweep {
        /// The experiment file.
        file: String,
        /// Line and column (1-based) of the value in the `[sweep]` list (or of its key).
        position: (usize, usize),
        /// The swept parameter path.
        path: String,
        /// The value, as TOML.
        value: String,
    },
    /// One point of a `[sweep]` (a combination of values) that is invalid although each of
    /// its values is valid on its own.
    SweepPoint {
        /// The experiment file.
        file: String,
        /// Line and column (1-based) of the first `[sweep]` key.
        position: (usize, usize),
        /// The point's paths and values (as TOML).
        values: Vec<(String, String)>,
    },
    /// Overrides `PATH = VALUE` applied with
    /// [`Experiment::with_overrides`](super::Experiment::with_overrides) (the CLI's `--set`).
    Override {
        /// The experiment file.
        file: String,
        /// Line and column (1-based), in the file as written, of the key the error is about,
        /// else of the key an override sets, or of the nearest table that encloses it; `None`
        /// when the file has none of them.
        position: Option<(usize, usize)>,
        /// The overrides the error is about (all of them when it is about none in
        /// particular): paths and values (as TOML).
        sets: Vec<(String, String)>,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File {
                file,
                position: Some((line, col)),
            } => write!(f, "{file}:{line}:{col}"),
            Origin::File {
                file,
                position: None,
            } => f.write_str(file),
            Origin::Sweep {
                file,
                position: (line, col),
                path,
                value,
            } => write!(f, "{file}:{line}:{col}: in [sweep] \"{path}\" = {value}"),
            Origin::SweepPoint {
                file,
                position: (line, col),
                values,
            } => {
                write!(f, "{file}:{line}:{col}: [sweep] point ")?;
                for (i, (path, value)) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "\"{path}\" = {value}")?;
                }
                Ok(())
            }
            Origin::Override {
                file,
                position,
                sets,
            } => {
                match position {
                    Some((line, col)) => write!(f, "{file}:{line}:{col}: ")?,
                    None => write!(f, "{file}: ")?,
                }
                f.write_str("with override ")?;
                for (i, (path, value)) in sets.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{path} = {value}`")?;
                }
                Ok(())
            }
        }
    }
}

/// The broad class of an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The file could not be read.
    Io,
    /// The text is not valid TOML.
    Syntax,
    /// A key that the schema does not have (or a parameter path that names nothing).
    UnknownKey,
    /// A missing key, a wrong type, an out-of-range value, or an inconsistency between keys.
    Invalid,
}

/// What is wrong with an experiment, and where.
///
/// Its `Display` is one line: the origin (`file:line:column`), then the message, which names
/// the key (as a dotted parameter path), says what was expected and what was found, and
/// ends with a suggestion when one is near:
///
/// ```text
/// experiments/x.toml:12:1: unknown key `los` in [[link]] "wan"; expected one of: name, between, delay, ...; did you mean `loss`?
/// experiments/x.toml:14:8: `link.wan.loss`: expected a probability in [0, 1], found 1.5
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct ConfigError {
    /// Where (boxed to keep `Result<_, ConfigError>` small).
    pub origin: Box<Origin>,
    /// What class of error.
    pub kind: ErrorKind,
    /// The key the error is about, as a dotted path (`link.wan.loss`), when there is one.
    pub key: Option<String>,
    /// The whole message (already naming the key, and ending with the suggestion if any).
    pub message: String,
    /// The nearest valid key, host or value, when one is near what was written.
    pub suggestion: Option<String>,
}

impl ConfigError {
    /// An error about a whole file (no position).
    pub(crate) fn file(file: &str, kind: ErrorKind, message: String) -> ConfigError {
        ConfigError {
            origin: Box::new(Origin::File {
                file: file.to_string(),
                position: None,
            }),
            kind,
            key: None,
            message,
            suggestion: None,
        }
    }

    /// The same error, reported at another origin (for errors found in a document rebuilt
    /// from overrides, whose positions mean nothing to the user).
    pub(crate) fn relocated(mut self, origin: Origin) -> ConfigError {
        self.origin = Box::new(origin);
        self
    }
}

/// The candidate nearest to `word`, if it is near enough to be a plausible typo: within an
/// edit distance of a third of its length (at least 1), or very similar by Jaro–Winkler.
/// Ties go to the earlier candidate.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let budget = (word.chars().count() / 3).max(1);
    let mut best: Option<((usize, u64), &str)> = None;
    for c in candidates {
        let lower = c.to_ascii_lowercase();
        let distance = strsim::osa_distance(&word, &lower);
        let similarity = strsim::jaro_winkler(&word, &lower);
        if distance > budget && similarity < 0.85 {
            continue;
        }
        // Rank by distance, then by similarity (as an integer so the key is totally ordered).
        let rank = (distance, u64::MAX - (similarity * 1e9) as u64);
        if best.is_none_or(|(r, _)| rank < r) {
            best = Some((rank, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `"; did you mean `x`?"` or nothing.
pub(crate) fn did_you_mean(suggestion: Option<&str>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let keys = ["name", "between", "delay", "loss", "queue"];
        assert_eq!(suggest("los", keys), Some("loss"));
        assert_eq!(suggest("delya", keys), Some("delay"));
        assert_eq!(suggest("Queue", keys), Some("queue"));
        assert_eq!(suggest("zzzzzz", keys), None);
        assert_eq!(suggest("mms", ["profile", "mss", "msl"]), Some("mss"));
        assert_eq!(
            suggest("synack_retry", ["syn_retries", "synack_retries"]),
            Some("synack_retries")
        );
        assert_eq!(suggest("x", ["y"]), Some("y"));
    }
}
