//! Where a value is: the file and the path in the document
//! (`compose.yaml: services.web.ports[2]`), for errors a user can act on.

use std::fmt;
use std::rc::Rc;

use serde_json::Value;

use crate::engine::error::excerpt;
use crate::engine::Error;

#[derive(Clone, Debug)]
pub struct Path {
    file: Rc<str>,
    at: String,
}

impl Path {
    pub fn new(file: &str) -> Self {
        Path {
            file: file.into(),
            at: String::new(),
        }
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn key(&self, key: &str) -> Path {
        let at = if self.at.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.at)
        };
        Path {
            file: self.file.clone(),
            at,
        }
    }

    pub fn index(&self, i: usize) -> Path {
        Path {
            file: self.file.clone(),
            at: format!("{}[{i}]", self.at),
        }
    }

    /// An `InvalidArgument` about this place.
    pub fn error(&self, message: impl fmt::Display) -> Error {
        Error::invalid(format!("{self}: {message}"))
    }

    /// "`what` expected, got `value`".
    pub fn expected(&self, what: &str, got: &Value) -> Error {
        self.error(format!("{what} expected, got {}", describe(got)))
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}: {}", self.file, self.at)
        }
    }
}

/// A value for messages: a short excerpt, strings quoted.
pub fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{}'", excerpt(s, 60)),
        Value::Null => "null".to_owned(),
        Value::Array(_) => format!("a list {}", excerpt(&v.to_string(), 60)),
        Value::Object(_) => format!("a mapping {}", excerpt(&v.to_string(), 60)),
        other => other.to_string(),
    }
}
