//! `.dockerignore` as the docker CLI applies it: the file's lines read as
//! its `ignorefile.ReadAll` reads them, and patterns matched as moby's
//! `patternmatcher` matches them (Go `filepath.Match` syntax, `**` for any
//! number of folders, `!` re-including, later lines winning, a folder's
//! result passed down to what it holds). The quirks are kept on purpose:
//! the same folder must give the same context with either client.

use regex::Regex;

use super::{Error, Result};

/// The patterns of a `.dockerignore` text, normalised as the CLI does:
/// comments (`#` in the first column) and blank lines dropped, each pattern
/// trimmed and cleaned, a leading `/` removed, `!` kept in front.
pub fn read_patterns(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut patterns = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut cleaned = String::new();
        if !pattern.is_empty() {
            cleaned = clean(pattern);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
        }
        patterns.push(if invert {
            format!("!{cleaned}")
        } else {
            cleaned
        });
    }
    patterns
}

/// The patterns with the `.dockerignore` and the Dockerfile re-included when
/// they are excluded: the engine needs both (the CLI's
/// `TrimBuildFilesFromExcludes`).
pub fn keep_build_files(mut patterns: Vec<String>, dockerfile: &str) -> Result<Vec<String>> {
    if Matcher::new(&patterns)?.matches_or_parent_matches(".dockerignore") {
        patterns.push("!.dockerignore".to_owned());
    }
    if Matcher::new(&patterns)?.matches_or_parent_matches(&clean(dockerfile)) {
        patterns.push(format!("!{dockerfile}"));
    }
    Ok(patterns)
}

/// Go's `filepath.Clean` for slash-separated paths.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// One pattern, compiled once.
#[derive(Debug)]
struct Pattern {
    text: String,
    exclusion: bool,
    how: How,
}

#[derive(Debug)]
enum How {
    Exact,
    /// `foo**`: the text before the `**`.
    Prefix,
    /// `**foo`: the text after the `**`.
    Suffix,
    Regex(Regex),
}

impl Pattern {
    fn compile(text: String, exclusion: bool) -> Result<Pattern> {
        let bad = || {
            Error::invalid(format!(
                ".dockerignore: bad pattern '{}'",
                super::error::excerpt(&text, 80)
            ))
        };
        let chars: Vec<char> = text.chars().collect();
        let mut re = String::from("^");
        let mut how = 0u8; // 0 exact, 1 prefix, 2 suffix, 3 regex
        let mut i = 0;
        let mut step = 0;
        while i < chars.len() {
            let ch = chars[i];
            i += 1;
            match ch {
                '*' if chars.get(i) == Some(&'*') => {
                    i += 1;
                    if chars.get(i) == Some(&'/') {
                        i += 1;
                    }
                    if i == chars.len() {
                        if how == 0 {
                            how = 1;
                        } else {
                            re.push_str(".*");
                            how = 3;
                        }
                    } else {
                        re.push_str("(.*/)?");
                        how = 3;
                    }
                    if step == 0 {
                        how = 2;
                    }
                }
                '*' => {
                    re.push_str("[^/]*");
                    how = 3;
                }
                '?' => {
                    re.push_str("[^/]");
                    how = 3;
                }
                '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                    re.push('\\');
                    re.push(ch);
                }
                '\\' => match chars.get(i) {
                    Some(next) => {
                        re.push('\\');
                        re.push(*next);
                        i += 1;
                        how = 3;
                    }
                    None => re.push('\\'),
                },
                '[' | ']' => {
                    re.push(ch);
                    how = 3;
                }
                other => re.push(other),
            }
            step += 1;
        }
        let how = match how {
            0 => How::Exact,
            1 => How::Prefix,
            2 => How::Suffix,
            _ => {
                re.push('$');
                How::Regex(Regex::new(&re).map_err(|_| bad())?)
            }
        };
        if !valid_go_pattern(&text) {
            return Err(bad());
        }
        Ok(Pattern {
            text,
            exclusion,
            how,
        })
    }

    fn matches(&self, path: &str) -> bool {
        match &self.how {
            How::Exact => path == self.text,
            How::Prefix => path.starts_with(&self.text[..self.text.len() - 2]),
            How::Suffix => {
                let suffix = &self.text[2..];
                path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|rest| path == rest)
            }
            How::Regex(re) => re.is_match(path),
        }
    }
}

/// Whether Go's `filepath.Match` accepts the pattern (the CLI rejects the
/// `.dockerignore` otherwise): brackets closed, no trailing `\`.
fn valid_go_pattern(text: &str) -> bool {
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' if chars.next().is_none() => return false,
            '[' => {
                let mut first = true;
                loop {
                    match chars.next() {
                        None => return false,
                        Some(']') if !first => break,
                        Some('\\') if chars.next().is_none() => return false,
                        Some('^') if first => continue,
                        _ => {}
                    }
                    first = false;
                }
            }
            _ => {}
        }
    }
    true
}

/// The compiled patterns of one `.dockerignore`.
#[derive(Debug)]
pub struct Matcher {
    patterns: Vec<Pattern>,
}

/// What a folder's match said per pattern, handed down to what it holds.
#[derive(Debug, Clone, Default)]
pub struct ParentMatches(Vec<bool>);

impl Matcher {
    pub fn new(patterns: &[String]) -> Result<Matcher> {
        let mut compiled = Vec::new();
        for p in patterns {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            let p = clean(p);
            let (text, exclusion) = match p.strip_prefix('!') {
                Some("") => {
                    return Err(Error::invalid(
                        ".dockerignore: illegal exclusion pattern: \"!\"",
                    ))
                }
                Some(rest) => (rest.to_owned(), true),
                None => (p, false),
            };
            compiled.push(Pattern::compile(text, exclusion)?);
        }
        Ok(Matcher { patterns: compiled })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether any pattern starts with `!`.
    pub fn has_exclusions(&self) -> bool {
        self.patterns.iter().any(|p| p.exclusion)
    }

    /// Whether a `!` pattern names something inside the folder `dir`: then
    /// an excluded folder must still be walked.
    pub fn reincludes_inside(&self, dir: &str) -> bool {
        let dir_slash = format!("{dir}/");
        self.patterns
            .iter()
            .any(|p| p.exclusion && format!("{}/", p.text).starts_with(&dir_slash))
    }

    /// Whether `path` (or a folder above it) is excluded.
    pub fn matches_or_parent_matches(&self, path: &str) -> bool {
        let path = clean(path);
        if path == "." {
            return false;
        }
        let parents = parent_prefixes(&path);
        let mut matched = false;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let hit = p.matches(&path) || parents.iter().any(|parent| p.matches(parent));
            if hit {
                matched = !p.exclusion;
            }
        }
        matched
    }

    /// Whether `path` is excluded, given its folder's results (empty for a
    /// path at the top, or when they are unknown); also the results to hand
    /// down when `path` is a folder.
    pub fn matches_with_parent(&self, path: &str, parent: &ParentMatches) -> (bool, ParentMatches) {
        let known = !parent.0.is_empty();
        let mut matched = false;
        let mut info = vec![false; self.patterns.len()];
        for (i, p) in self.patterns.iter().enumerate() {
            let mut hit = known && parent.0[i];
            if !hit {
                if p.exclusion != matched {
                    continue;
                }
                hit = p.matches(path);
                if !hit && !known {
                    hit = parent_prefixes(path).iter().any(|parent| p.matches(parent));
                }
            }
            info[i] = hit;
            if hit {
                matched = !p.exclusion;
            }
        }
        (matched, ParentMatches(info))
    }
}

/// `a`, `a/b` for `a/b/c`.
fn parent_prefixes(path: &str) -> Vec<&str> {
    path.match_indices('/').map(|(i, _)| &path[..i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(lines: &str) -> Matcher {
        Matcher::new(&read_patterns(lines)).unwrap()
    }

    fn excluded(m: &Matcher, path: &str) -> bool {
        m.matches_or_parent_matches(path)
    }

    #[test]
    fn reads_lines_as_the_cli_does() {
        let text = "\u{feff}# comment\n  \n /abs/x \n! keep.txt\n ./a/../b/\n #not a comment\n";
        assert_eq!(
            read_patterns(text),
            vec!["abs/x", "!keep.txt", "b", "#not a comment"]
        );
        assert_eq!(read_patterns("/\n"), vec!["/"]);
    }

    #[test]
    fn cleans_like_go() {
        assert_eq!(clean("a//b/./c/.."), "a/b");
        assert_eq!(clean("./"), ".");
        assert_eq!(clean("../x"), "../x");
        assert_eq!(clean("/../x"), "/x");
    }

    #[test]
    fn stars_and_questions_stay_in_one_folder() {
        let m = matcher("*.log\nsecret?.env");
        assert!(excluded(&m, "a.log"));
        assert!(!excluded(&m, "sub/a.log"));
        assert!(excluded(&m, "secret1.env"));
        assert!(!excluded(&m, "secret10.env"));
        assert!(!excluded(&m, "alog"), "the dot is literal");
    }

    #[test]
    fn double_star_spans_folders() {
        let m = matcher("**/*.log");
        assert!(excluded(&m, "a.log"));
        assert!(excluded(&m, "x/y/z.log"));
        assert!(!excluded(&m, "x/y/z.txt"));
        let m = matcher("docs/**");
        assert!(excluded(&m, "docs/a/b"));
        assert!(!excluded(&m, "docs"), "docs/** leaves the folder itself");
        // The CLI's suffix shortcut: `**foo` is "ends with foo".
        let m = matcher("**foo");
        assert!(excluded(&m, "barfoo"));
        assert!(excluded(&m, "a/foo"));
        let m = matcher("**/node_modules");
        assert!(excluded(&m, "node_modules"));
        assert!(excluded(&m, "a/node_modules/x.js"));
    }

    #[test]
    fn a_folder_excludes_what_it_holds() {
        let m = matcher("build");
        assert!(excluded(&m, "build/out/a.o"));
        assert!(!excluded(&m, "src/build"));
    }

    #[test]
    fn later_lines_win() {
        let m = matcher("*.md\n!README.md");
        assert!(excluded(&m, "CHANGES.md"));
        assert!(!excluded(&m, "README.md"));
        let m = matcher("!README.md\n*.md");
        assert!(excluded(&m, "README.md"));
        let m = matcher("sub\n!sub/keep.txt");
        assert!(!excluded(&m, "sub/keep.txt"));
        assert!(excluded(&m, "sub/other.txt"));
        assert!(m.reincludes_inside("sub"));
        assert!(!m.reincludes_inside("su"));
    }

    #[test]
    fn classes_and_escapes() {
        let m = matcher("file[0-9].txt\n[!a]x\n\\*star");
        assert!(excluded(&m, "file3.txt"));
        assert!(!excluded(&m, "fileA.txt"));
        assert!(excluded(&m, "*star"));
        assert!(!excluded(&m, "xstar"));
        assert!(Matcher::new(&["a[".to_owned()]).is_err());
        assert!(Matcher::new(&["!".to_owned()]).is_err());
        // Characters special to regexps but not to Go's Match are literal.
        let m = matcher("a+b\n(x)|y");
        assert!(excluded(&m, "a+b"));
        assert!(!excluded(&m, "aab"));
        assert!(excluded(&m, "(x)|y"));
    }

    #[test]
    fn build_files_are_always_sent() {
        let kept = keep_build_files(read_patterns("*\n"), "Dockerfile").unwrap();
        let m = Matcher::new(&kept).unwrap();
        assert!(!excluded(&m, "Dockerfile"));
        assert!(!excluded(&m, ".dockerignore"));
        assert!(excluded(&m, "other"));
        let kept = keep_build_files(read_patterns("docker\n"), "docker/app.Dockerfile").unwrap();
        let m = Matcher::new(&kept).unwrap();
        assert!(!excluded(&m, "docker/app.Dockerfile"));
    }

    #[test]
    fn parent_results_carry_the_clis_quirk() {
        // A pattern skipped for the folder (already matched) is not carried
        // down, so `a/b` ends up sent, as the docker CLI sends it.
        let m = matcher("a\n!a/b\na");
        let (dir, info) = m.matches_with_parent("a", &ParentMatches::default());
        assert!(dir);
        let (child, _) = m.matches_with_parent("a/b", &info);
        assert!(!child);
        assert!(excluded(&m, "a/b"), "the whole-path check disagrees");
    }
}
