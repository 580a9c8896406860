//! Where a browser may be sent back to after signing in: a path of this origin, never anything
//! a browser could read as another origin.

/// The longest return path kept.
pub const MAX_RETURN_PATH: usize = 2048;

/// `candidate` if it is a path of this origin, else `/`.
///
/// Accepted: at most [`MAX_RETURN_PATH`] bytes, starting with one `/` not followed by `/` or
/// `\`, made only of RFC 3986's unreserved and sub-delimiter characters, `:`, `@`, `/`, `?`,
/// `#` and percent escapes, where no escape stands for `/`, `\`, `%` or a control character, nor for a space
/// right after the first `/`. That refuses every way browsers and servers have been seen to read a path as a host
/// (`//evil`, `/\evil`, tab or space between the slashes, `%2F%2F`, `%5C`, double escapes,
/// `https:`, `javascript:`, non-ASCII look-alikes), since each needs a character outside the
/// list. The rule allows, not forbids: what it does not know is refused.
///
/// ```
/// use auth_web::sso::same_origin_path;
/// assert_eq!(same_origin_path("/orders?id=5#top"), "/orders?id=5#top");
/// assert_eq!(same_origin_path("/\\evil.example"), "/");
/// assert_eq!(same_origin_path("https://evil.example"), "/");
/// ```
#[must_use]
pub fn same_origin_path(candidate: &str) -> &str {
    if is_same_origin_path(candidate.as_bytes()) {
        candidate
    } else {
        "/"
    }
}

fn is_same_origin_path(path: &[u8]) -> bool {
    let [b'/', rest @ ..] = path else {
        return false;
    };
    if path.len() > MAX_RETURN_PATH || matches!(rest.first(), Some(b'/' | b'\\')) {
        return false;
    }
    let mut i = 0;
    while let Some(&b) = rest.get(i) {
        if b == b'%' {
            let (Some(hi), Some(lo)) = (rest.get(i + 1), rest.get(i + 2)) else {
                return false;
            };
            let (Some(hi), Some(lo)) = (hex(*hi), hex(*lo)) else {
                return false;
            };
            let decoded = hi << 4 | lo;
            // An escaped space is a space in a query (`?q=a%20b`), but never first.
            let space_inside = decoded == b' ' && i > 0;
            if (decoded <= 0x20 && !space_inside) || matches!(decoded, b'/' | b'\\' | b'%' | 0x7f) {
                return false;
            }
            i += 3;
            continue;
        }
        let allowed = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
                    | b'?'
                    | b'#'
            );
        if !allowed {
            return false;
        }
        i += 1;
    }
    true
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}
