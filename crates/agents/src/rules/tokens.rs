//! Splits goal text into lower-cased tokens, remembering which original word each came from so
//! the title can be rebuilt from the user's own spelling.

/// Longest goal text read, in characters; the rest is ignored (and a note says so).
pub(super) const MAX_CHARS: usize = 2_000;

/// One token of the goal text.
#[derive(Debug, Clone)]
pub(super) struct Token {
    /// Lower-cased text without surrounding punctuation.
    pub text: String,
    /// Index of the whitespace-separated word of the original text it came from.
    pub word: usize,
}

/// Characters that may appear inside a token; every other character separates tokens.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || "$€£.,+-&'%".contains(c)
}

/// Tokenises `text` (already cut to [`MAX_CHARS`]).
pub(super) fn tokenize(text: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    for (word, raw) in text.split_whitespace().enumerate() {
        let lower = raw.to_lowercase().replace(['’', '‘'], "'");
        let mut current = String::new();
        for c in lower.chars() {
            if is_word_char(c) {
                current.push(c);
            } else {
                push_word(&mut out, &current, word);
                current.clear();
                if "~<>".contains(c) {
                    out.push(Token {
                        text: c.to_string(),
                        word,
                    });
                }
            }
        }
        push_word(&mut out, &current, word);
    }
    merge_currency_symbols(out)
}

/// Cleans one word and pushes its token(s): trailing punctuation goes, hyphenated words split.
fn push_word(out: &mut Vec<Token>, raw: &str, word: usize) {
    let w = raw
        .trim_end_matches(['.', ',', '\''])
        .trim_start_matches(['.', ',', '\'']);
    if w.is_empty() {
        return;
    }
    for part in split_hyphens(w) {
        out.push(Token {
            text: part.to_owned(),
            word,
        });
    }
}

/// Splits `pre-owned` and `4-star` but keeps model numbers (`wh-1000xm5`) and price ranges.
fn split_hyphens(w: &str) -> Vec<&str> {
    let Some((head, tail)) = w.split_once('-') else {
        return vec![w];
    };
    let plain = !w.chars().any(|c| c.is_ascii_digit() || "$€£".contains(c));
    let measure = !head.is_empty()
        && head.chars().all(|c| c.is_ascii_digit() || c == '.')
        && !tail.is_empty()
        && tail.chars().all(char::is_alphabetic);
    if plain || measure {
        w.split('-').filter(|p| !p.is_empty()).collect()
    } else {
        vec![w]
    }
}

/// Joins a lone currency symbol with the number after it (`$ 300` → `$300`).
fn merge_currency_symbols(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut pending: Option<Token> = None;
    for t in tokens {
        match pending.take() {
            Some(sym) if t.text.starts_with(|c: char| c.is_ascii_digit()) => out.push(Token {
                text: format!("{}{}", sym.text, t.text),
                word: sym.word,
            }),
            Some(sym) => {
                out.push(sym);
                out.push(t);
                continue;
            }
            None if matches!(t.text.as_str(), "$" | "€" | "£") => pending = Some(t),
            None => out.push(t),
        }
    }
    out.extend(pending);
    out
}
