//! The parsed document with its spans: turns byte offsets into `line:column`, spans into
//! dotted keys, and serde's messages into [`ConfigError`]s that say what was expected.

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use super::error::{did_you_mean, suggest, ConfigError, ErrorKind, Origin};

/// One step of a path into the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A key of a table.
    Key(String),
    /// An element of an array.
    Index(usize),
}

/// A path into the document, from the root.
pub(crate) type DocPath = Vec<Seg>;

/// Builds a [`DocPath`] from keys and indices: `path!["link", 0, "loss"]`.
macro_rules! doc_path {
    ($($seg:expr),* $(,)?) => {{
        let path: $crate::config::doc::DocPath =
            vec![$($crate::config::doc::IntoSeg::into_seg($seg)),*];
        path
    }};
}
pub(crate) use doc_path;

/// Conversion for [`doc_path!`].
pub(crate) trait IntoSeg {
    fn into_seg(self) -> Seg;
}
impl IntoSeg for &str {
    fn into_seg(self) -> Seg {
        Seg::Key(self.to_string())
    }
}
impl IntoSeg for String {
    fn into_seg(self) -> Seg {
        Seg::Key(self)
    }
}
impl IntoSeg for usize {
    fn into_seg(self) -> Seg {
        Seg::Index(self)
    }
}

/// Arrays of tables whose elements are addressed by their `name`.
pub(crate) const NAMED_ARRAYS: [&str; 3] = ["host", "link", "workload"];

/// A parsed experiment document.
pub(crate) struct Doc<'a> {
    pub text: &'a str,
    pub file: &'a str,
    pub root: Spanned<DeTable<'a>>,
}

impl<'a> Doc<'a> {
    /// Parses TOML text; a syntax error names the file, line and column.
    pub fn parse(text: &'a str, file: &'a str) -> Result<Doc<'a>, ConfigError> {
        match DeTable::parse(text) {
            Ok(root) => Ok(Doc { text, file, root }),
            Err(e) => {
                let position = e.span().map(|s| position(text, s.start));
                Err(ConfigError {
                    origin: Box::new(Origin::File {
                        file: file.to_string(),
                        position,
                    }),
                    kind: ErrorKind::Syntax,
                    key: None,
                    message: format!("invalid TOML: {}", e.message()),
                    suggestion: None,
                })
            }
        }
    }

    /// The root table as a value, for deserializing.
    pub fn root_value(&self) -> Spanned<DeValue<'a>> {
        Spanned::new(
            self.root.span(),
            DeValue::Table(self.root.get_ref().clone()),
        )
    }

    /// Deserializes `T` from a value of this document, which `value` makes (again, to find
    /// the choices of a choice key given something other than a string); errors are located
    /// in this document.
    pub fn deserialize<T: DeserializeOwned>(
        &self,
        value: impl Fn() -> Spanned<DeValue<'a>>,
    ) -> Result<T, ConfigError> {
        T::deserialize(ValueDeserializer::from(value())).map_err(|e| {
            let mut err = self.error_from_toml(&e);
            if let Some(choices) = self.choices::<T>(value(), &e) {
                let span = e.span().unwrap_or_default();
                let kind = self
                    .get(&self.locate(&span))
                    .map_or("something else", |v| found_value(v.get_ref()));
                let written: String = self.text.get(span).unwrap_or("").chars().take(40).collect();
                let found = format!("{kind} `{}`", written.trim());
                err.message = format!(
                    "{}expected one of: {choices}; found {found}",
                    err.key
                        .as_ref()
                        .map_or(String::new(), |k| format!("`{k}`: "))
                );
            }
            err
        })
    }

    /// The values a choice key takes, when `e` says that key's value is not a string
    /// ("wanted string or table"): found by deserializing `value` again with a string no
    /// choice has at that key, whose error lists them.
    fn choices<T: DeserializeOwned>(
        &self,
        mut value: Spanned<DeValue<'a>>,
        e: &toml::de::Error,
    ) -> Option<String> {
        const NONE: &str = "\u{1}";
        let msg = e.message();
        if msg != "wanted string or table" && !msg.starts_with("wanted exactly 1 element") {
            return None;
        }
        let at = self.locate(&e.span()?);
        let base = self.locate(&value.span());
        let mut slot = &mut value;
        for seg in at.strip_prefix(base.as_slice())? {
            slot = match (seg, slot.get_mut()) {
                (Seg::Key(k), DeValue::Table(t)) => t.get_mut(k.as_str())?,
                (Seg::Index(i), DeValue::Array(a)) => a.get_mut(*i)?,
                _ => return None,
            };
        }
        *slot.get_mut() = DeValue::String(NONE.into());
        let again = T::deserialize(ValueDeserializer::from(value)).err()?;
        let ticks = backticked(again.message());
        (again.message().starts_with("unknown variant ") && ticks.first() == Some(&NONE)).then(
            || {
                ticks[1..]
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        )
    }

    /// The value at `path`, if it exists.
    pub fn get(&self, path: &[Seg]) -> Option<&Spanned<DeValue<'a>>> {
        let (first, rest) = path.split_first()?;
        let Seg::Key(k) = first else { return None };
        let mut v = self.root.get_ref().get(k.as_str())?;
        for seg in rest {
            v = match (seg, v.get_ref()) {
                (Seg::Key(k), DeValue::Table(t)) => t.get(k.as_str())?,
                (Seg::Index(i), DeValue::Array(a)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(v)
    }

    /// The span of the value at `path`, or of its deepest existing ancestor.
    pub fn span_of(&self, path: &[Seg]) -> Range<usize> {
        for len in (1..=path.len()).rev() {
            if let Some(v) = self.get(&path[..len]) {
                return v.span();
            }
        }
        self.root.span()
    }

    /// The document path of a dotted key as [`Doc::describe_key`] writes it, or as a
    /// parameter path names it (`link.wan.loss`, `workload.s.segments[0].to`, `chart[1].y`):
    /// an element of a named array is found by its `name`. The path stops where the document
    /// has no element of that name (or the key is malformed).
    pub fn path_of_key(&self, key: &str) -> DocPath {
        let mut path: DocPath = Vec::new();
        for (i, part) in key.split('.').enumerate() {
            let (name, indices) = part.split_at(part.find('[').unwrap_or(part.len()));
            let named_array =
                matches!(path.as_slice(), [Seg::Key(k)] if NAMED_ARRAYS.contains(&k.as_str()));
            if i == 1 && named_array && !name.is_empty() {
                match self.index_of(&path, name) {
                    Some(idx) => path.push(Seg::Index(idx)),
                    None => return path,
                }
            } else if !name.is_empty() {
                path.push(Seg::Key(name.to_string()));
            }
            for idx in indices.split('[').filter(|s| !s.is_empty()) {
                match idx.trim_end_matches(']').parse() {
                    Ok(n) => path.push(Seg::Index(n)),
                    Err(_) => return path,
                }
            }
        }
        path
    }

    /// The index of the element named `name` in the array at `array`.
    fn index_of(&self, array: &[Seg], name: &str) -> Option<usize> {
        let DeValue::Array(items) = self.get(array)?.get_ref() else {
            return None;
        };
        items.iter().position(|item| {
            item.get_ref()
                .as_table()
                .and_then(|t| t.get("name"))
                .and_then(|n| n.get_ref().as_str())
                == Some(name)
        })
    }

    /// Line and column of the value at `path`, or of its deepest existing ancestor below
    /// the root; `None` if not even the first step of `path` is in the document.
    pub fn position_of(&self, path: &[Seg]) -> Option<(usize, usize)> {
        (1..=path.len())
            .rev()
            .find_map(|len| self.get(&path[..len]))
            .map(|v| position(self.text, v.span().start))
    }

    /// `file:line:col` for a byte offset.
    pub fn origin_at(&self, offset: usize) -> Box<Origin> {
        Box::new(Origin::File {
            file: self.file.to_string(),
            position: Some(position(self.text, offset)),
        })
    }

    /// An [`ErrorKind::Invalid`] error about the value at `path`.
    pub fn invalid(&self, path: &[Seg], message: impl Into<String>) -> ConfigError {
        self.invalid_with(path, message, None)
    }

    /// Like [`Doc::invalid`], with a suggestion appended to the message.
    pub fn invalid_with(
        &self,
        path: &[Seg],
        message: impl Into<String>,
        suggestion: Option<&str>,
    ) -> ConfigError {
        let key = self.describe_key(path);
        let mut message = message.into();
        message.push_str(&did_you_mean(suggestion));
        ConfigError {
            origin: self.origin_at(self.span_of(path).start),
            kind: ErrorKind::Invalid,
            message: if key.is_empty() {
                message
            } else {
                format!("`{key}`: {message}")
            },
            key: (!key.is_empty()).then_some(key),
            suggestion: suggestion.map(str::to_string),
        }
    }

    /// A path as the user would write it: `link.wan.loss`, `host.server.tcp.msl`,
    /// `workload.s.segments[2].flags`, `chart[0].y`.
    pub fn describe_key(&self, path: &[Seg]) -> String {
        let mut out = String::new();
        for (i, seg) in path.iter().enumerate() {
            match seg {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(idx) => match self.element_name(&path[..i], *idx) {
                    Some(name) if i == 1 => {
                        out.push('.');
                        out.push_str(name);
                    }
                    _ => out.push_str(&format!("[{idx}]")),
                },
            }
        }
        out
    }

    /// The `name` of an element of a top-level named array, e.g. `[[link]]` #0 → `wan`;
    /// `None` unless that name is plain and unique, so that it addresses the element.
    fn element_name(&self, array: &[Seg], idx: usize) -> Option<&str> {
        match array {
            [Seg::Key(k)] if NAMED_ARRAYS.contains(&k.as_str()) => {}
            _ => return None,
        }
        let DeValue::Array(items) = self.get(array)?.get_ref() else {
            return None;
        };
        fn name_of<'v>(item: &'v Spanned<DeValue<'_>>) -> Option<&'v str> {
            item.get_ref().as_table()?.get("name")?.get_ref().as_str()
        }
        let name = name_of(items.get(idx)?)?;
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        let unique = items.iter().filter(|i| name_of(i) == Some(name)).count() == 1;
        (plain && unique).then_some(name)
    }

    /// Where a table is, in words: `at the top level`, `in [tcp]`, `in [[link]] "wan"`,
    /// `in `link.wan.forward``.
    pub fn describe_table(&self, path: &[Seg]) -> String {
        match path {
            [] => "at the top level".to_string(),
            [Seg::Key(k)] => format!("in [{k}]"),
            [Seg::Key(k), Seg::Index(i)] => match self.element_name(&path[..1], *i) {
                Some(name) => format!("in [[{k}]] \"{name}\""),
                None => format!("in [[{k}]] #{}", i + 1),
            },
            _ => format!("in `{}`", self.describe_key(path)),
        }
    }

    /// The deepest path whose key or value span matches `span`: first an exact match, then
    /// the deepest span containing its start.
    pub fn locate(&self, span: &Range<usize>) -> DocPath {
        if *span == self.root.span() {
            return Vec::new();
        }
        let mut exact = None;
        let mut containing = None;
        let mut path = Vec::new();
        walk_table(
            self.root.get_ref(),
            span,
            &mut path,
            &mut exact,
            &mut containing,
        );
        exact.or(containing).unwrap_or_default()
    }

    /// Turns a toml/serde error into a [`ConfigError`] located in this document.
    pub fn error_from_toml(&self, e: &toml::de::Error) -> ConfigError {
        let msg = e.message();
        let path = e.span().map(|s| self.locate(&s)).unwrap_or_default();
        let origin = match e.span() {
            Some(s) => self.origin_at(s.start),
            None => Box::new(Origin::File {
                file: self.file.to_string(),
                position: None,
            }),
        };
        let mut err = self.classify(msg, &path);
        err.origin = origin;
        err
    }

    /// serde's "unknown field `field`, expected one of …" (`rest` follows "unknown field ")
    /// at `path`, as an [`ErrorKind::UnknownKey`] with the nearest valid key.
    fn unknown_field(
        &self,
        out: &mut ConfigError,
        (rest, field): (&str, &str),
        ticks: &[&str],
        path: &[Seg],
    ) {
        let context = match path.last() {
            Some(Seg::Key(k)) if k == field => &path[..path.len() - 1],
            _ => path,
        };
        let mut expected: Vec<&str> = if rest.contains("there are no fields") {
            Vec::new()
        } else {
            ticks[1..].to_vec()
        };
        // `kind` is read before the rest of a workload is deserialized.
        if matches!(context, [Seg::Key(k), Seg::Index(_)] if k == "workload") {
            expected.insert(expected.len().min(1), "kind");
        }
        let suggestion = suggest(field, expected.iter().copied());
        out.kind = ErrorKind::UnknownKey;
        out.message = format!(
            "unknown key `{field}` {}; {}{}",
            self.describe_table(context),
            if expected.is_empty() {
                "this table takes no keys".to_string()
            } else {
                format!("expected one of: {}", expected.join(", "))
            },
            did_you_mean(suggestion)
        );
        out.key = Some(self.describe_key(path));
        out.suggestion = suggestion.map(str::to_string);
    }

    /// Rewrites one of serde's messages about the value at `path`.
    fn classify(&self, msg: &str, path: &[Seg]) -> ConfigError {
        let ticks = backticked(msg);
        let key = self.describe_key(path);
        let keyed = |m: String| {
            if key.is_empty() {
                m
            } else {
                format!("`{key}`: {m}")
            }
        };
        let mut out = ConfigError {
            origin: Box::new(Origin::File {
                file: self.file.to_string(),
                position: None,
            }),
            kind: ErrorKind::Invalid,
            key: (!key.is_empty()).then(|| key.clone()),
            message: String::new(),
            suggestion: None,
        };
        if let (Some(rest), Some(field)) = (msg.strip_prefix("unknown field "), ticks.first()) {
            self.unknown_field(&mut out, (rest, field), &ticks, path);
        } else if let (true, Some(value)) = (msg.starts_with("unknown variant "), ticks.first()) {
            let expected = &ticks[1..];
            let suggestion = suggest(value, expected.iter().copied());
            out.message = keyed(format!(
                "unknown value \"{value}\"; expected one of: {}{}",
                expected
                    .iter()
                    .map(|e| format!("\"{e}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
                did_you_mean(suggestion)
            ));
            out.suggestion = suggestion.map(str::to_string);
        } else if let (true, Some(field)) = (msg.starts_with("missing field "), ticks.first()) {
            out.message = format!("missing key `{field}` {}", self.describe_table(path));
            let mut full = path.to_vec();
            full.push(Seg::Key(field.to_string()));
            out.key = Some(self.describe_key(&full));
        } else if let (true, Some(field)) = (msg.starts_with("duplicate field "), ticks.first()) {
            out.message = format!("key `{field}` appears twice {}", self.describe_table(path));
        } else if let Some((found, expected)) = msg
            .strip_prefix("invalid type: ")
            .or_else(|| msg.strip_prefix("invalid value: "))
            .and_then(|m| m.split_once(", expected "))
        {
            out.message = keyed(format!(
                "expected {}, found {}",
                nice_expected(expected),
                nice_found(found)
            ));
        } else if let Some((found, expected)) = msg
            .strip_prefix("invalid length ")
            .and_then(|m| m.split_once(", expected "))
        {
            let plural = if found == "1" { "" } else { "s" };
            out.message = keyed(format!(
                "expected {expected}, found {found} element{plural}"
            ));
        } else {
            out.message = keyed(msg.to_string());
        }
        out
    }
}

/// A value as an error names what was found: `the integer 3`, `a table`.
fn found_value(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Walks a table for [`Doc::locate`].
fn walk_table(
    table: &DeTable<'_>,
    span: &Range<usize>,
    path: &mut DocPath,
    exact: &mut Option<DocPath>,
    containing: &mut Option<DocPath>,
) {
    for (k, v) in table.iter() {
        path.push(Seg::Key(k.get_ref().to_string()));
        check(&k.span(), span, path, exact, containing);
        walk_value(v, span, path, exact, containing);
        path.pop();
    }
}

fn walk_value(
    v: &Spanned<DeValue<'_>>,
    span: &Range<usize>,
    path: &mut DocPath,
    exact: &mut Option<DocPath>,
    containing: &mut Option<DocPath>,
) {
    check(&v.span(), span, path, exact, containing);
    match v.get_ref() {
        DeValue::Table(t) => walk_table(t, span, path, exact, containing),
        DeValue::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                walk_value(e, span, path, exact, containing);
                path.pop();
            }
        }
        _ => {}
    }
}

fn check(
    candidate: &Range<usize>,
    span: &Range<usize>,
    path: &DocPath,
    exact: &mut Option<DocPath>,
    containing: &mut Option<DocPath>,
) {
    let deeper = |best: &Option<DocPath>| best.as_ref().is_none_or(|b| path.len() >= b.len());
    if candidate == span && deeper(exact) {
        *exact = Some(path.clone());
    }
    let end = candidate.end.max(candidate.start + 1);
    if candidate.start <= span.start && span.start < end && deeper(containing) {
        *containing = Some(path.clone());
    }
}

/// The words between backticks in a serde message.
fn backticked(msg: &str) -> Vec<&str> {
    msg.split('`').skip(1).step_by(2).collect()
}

/// serde's "expected" in words a user knows.
fn nice_expected(e: &str) -> String {
    match e {
        "u8" => "an integer in 0..=255".to_string(),
        "u16" => "an integer in 0..=65535".to_string(),
        "u32" => "an integer in 0..=4294967295".to_string(),
        "u64" | "usize" => "an integer in 0..=18446744073709551615".to_string(),
        "i8" | "i16" | "i32" | "i64" | "isize" => {
            "an integer in -9223372036854775808..=9223372036854775807".to_string()
        }
        "f32" | "f64" => "a number".to_string(),
        "a sequence" => "an array".to_string(),
        "a map" => "a table".to_string(),
        "a borrowed string" => "a string".to_string(),
        e if e.starts_with("struct ") => "a table".to_string(),
        e => e.to_string(),
    }
}

/// serde's "found" in words a user knows.
fn nice_found(f: &str) -> String {
    // toml names an integer beyond 64 bits "`N` as i128".
    let strip = |s: &str| {
        s.trim_end_matches(" as i128")
            .trim_end_matches(" as u128")
            .trim_matches('`')
            .to_string()
    };
    if let Some(v) = f.strip_prefix("integer ") {
        format!("the integer {}", strip(v))
    } else if let Some(v) = f.strip_prefix("floating point ") {
        format!("the number {}", strip(v))
    } else if let Some(v) = f.strip_prefix("boolean ") {
        format!("the boolean {}", strip(v))
    } else if let Some(v) = f.strip_prefix("string ") {
        format!("the string {v}")
    } else {
        match f {
            "map" => "a table".to_string(),
            "sequence" => "an array".to_string(),
            f => f.to_string(),
        }
    }
}

/// Line and column of many offsets in one text, found in increasing order: each costs only
/// the text since the one before (an earlier offset starts again from the top), so that
/// locating every value of a long list costs the length of the text, not its square.
pub(crate) struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
    col: usize,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text,
            offset: 0,
            line: 1,
            col: 1,
        }
    }

    /// What [`position`] says of `offset`.
    pub fn position(&mut self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.offset {
            *self = Lines::new(self.text);
        }
        for c in self.text[self.offset..offset].chars() {
            if c == '\n' {
                self.line += 1;
                self.col = 1;
            } else {
                self.col += 1;
            }
        }
        self.offset = offset;
        (self.line, self.col)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        let t = "a = 1\nbé = 2\n";
        assert_eq!(position(t, 0), (1, 1));
        assert_eq!(position(t, 6), (2, 1));
        assert_eq!(position(t, 10), (2, 4));
        assert_eq!(position(t, 8), (2, 2));
        assert_eq!(position(t, 1000), (3, 1));
        let mut lines = Lines::new(t);
        for offset in [0, 6, 8, 10, 1000, 8] {
            assert_eq!(lines.position(offset), position(t, offset), "{offset}");
        }
    }

    #[test]
    fn describes_paths() {
        let text =
            "[[link]]\nname = \"wan\"\nloss = 0.1\n[[link]]\ndelay = \"1s\"\n[tcp]\nmsl = \"1s\"\n";
        let doc = Doc::parse(text, "f.toml").unwrap();
        assert_eq!(
            doc.describe_key(&doc_path!["link", 0, "loss"]),
            "link.wan.loss"
        );
        assert_eq!(
            doc.describe_key(&doc_path!["link", 1, "delay"]),
            "link[1].delay"
        );
        assert_eq!(
            doc.describe_table(&doc_path!["link", 0]),
            "in [[link]] \"wan\""
        );
        assert_eq!(doc.describe_table(&doc_path!["link", 1]), "in [[link]] #2");
        assert_eq!(doc.describe_table(&doc_path!["tcp"]), "in [tcp]");
        let span = doc.span_of(&doc_path!["link", 0, "loss"]);
        assert_eq!(&text[span.clone()], "0.1");
        assert_eq!(doc.locate(&span), doc_path!["link", 0, "loss"]);
    }
}
