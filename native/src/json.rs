//! Just enough JSON for one plain CloudEvents line: an object of strings, integers,
//! booleans, nulls and arrays of strings, with one nested object (`data`).
//!
//! Anything outside that - an escape in a string (`unescape` below first writes out
//! those that only spell a character), a fraction or exponent, a nested
//! value under an unknown key, a duplicate key, text after the object - returns `None`
//! and the line goes to the Python path (msgspec), which is the one that decides.  So
//! this never has to be a complete JSON parser, only a sound one for what it accepts;
//! the whole line is checked to be UTF-8 first, as msgspec requires.

#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Null,
    Strs(Vec<&'a str>),
}

pub struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(line: &'a [u8]) -> Option<Self> {
        Some(Cursor { text: std::str::from_utf8(line).ok()?, at: 0 })
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    pub fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Consumes `byte` (after any white space) or fails.
    pub fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_space();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// `,` (true: another member follows) or `}` (false: the object ends).
    pub fn next_member(&mut self) -> Option<bool> {
        self.skip_space();
        let byte = self.peek()?;
        self.at += 1;
        match byte {
            b',' => Some(true),
            b'}' => Some(false),
            _ => None,
        }
    }

    /// True when only white space is left.
    pub fn at_end(&mut self) -> bool {
        self.skip_space();
        self.at == self.text.len()
    }

    /// A string without escapes or control characters (those go to Python).
    pub fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        let bytes = self.text.as_bytes();
        loop {
            match *bytes.get(self.at)? {
                b'"' => break,
                b'\\' => return None,
                byte if byte < 0x20 => return None,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        // Both ends sit next to an ASCII quote, so they are character boundaries.
        self.text.get(start..self.at - 1)
    }

    /// An integer of at most 18 digits, without fraction or exponent.
    fn int(&mut self) -> Option<i64> {
        let bytes = self.text.as_bytes();
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let start = self.at;
        while bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        let digits = &bytes[start..self.at];
        if digits.is_empty() || digits.len() > 18 || (digits[0] == b'0' && digits.len() > 1)
            || matches!(self.peek(), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let value = digits.iter().fold(0_i64, |value, d| value * 10 + i64::from(d - b'0'));
        Some(if negative { -value } else { value })
    }

    fn word(&mut self, word: &str, value: Value<'a>) -> Option<Value<'a>> {
        self.text[self.at..].starts_with(word).then(|| {
            self.at += word.len();
            value
        })
    }

    /// A member's value, of the shapes listed in `Value` (objects are not values here).
    pub fn value(&mut self) -> Option<Value<'a>> {
        self.skip_space();
        match self.peek()? {
            b'"' => self.string().map(Value::Str),
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'n' => self.word("null", Value::Null),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                self.skip_space();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Some(Value::Strs(items));
                }
                loop {
                    items.push(self.string()?);
                    self.skip_space();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Some(Value::Strs(items));
                        }
                        _ => return None,
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.int().map(Value::Int),
            _ => None,
        }
    }

    /// Whether the next value is an object (`data`).
    pub fn object_follows(&mut self) -> bool {
        self.skip_space();
        self.peek() == Some(b'{')
    }
}

fn hex4(bytes: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(bytes.get(..4)?).ok()?;
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

/// The line with the escapes that only spell a character written out: `\uXXXX` (with
/// surrogate pairs) of anything but a control character, `"` or `\\`, and `\/`.  Many
/// encoders write non-ASCII text that way (Python's `json.dumps` by default), and the
/// decoded values are the same, so the plain parser can take the result.  Other
/// escapes stay, so the parser leaves the line to Python, and so does a backslash
/// outside a string or a lone surrogate (`None`).
pub fn unescape(line: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(line.len());
    let mut in_string = false;
    let mut at = 0;
    while at < line.len() {
        let byte = line[at];
        if byte == b'"' {
            in_string = !in_string;
        } else if byte == b'\\' {
            if !in_string {
                return None;
            }
            match line.get(at + 1) {
                Some(b'/') => {
                    out.push(b'/');
                    at += 2;
                    continue;
                }
                Some(b'u') => {
                    let mut code = hex4(&line[at + 2..])?;
                    let mut width = 6;
                    if (0xd800..0xdc00).contains(&code) {
                        if line.get(at + 6..at + 8) != Some(b"\\u") {
                            return None;
                        }
                        let low = hex4(&line[at + 8..])?;
                        if !(0xdc00..0xe000).contains(&low) {
                            return None;
                        }
                        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                        width = 12;
                    }
                    let char = char::from_u32(code)?; // None for a lone low surrogate
                    if code < 0x20 || char == '"' || char == '\\' {
                        return None;
                    }
                    out.extend_from_slice(char.encode_utf8(&mut [0; 4]).as_bytes());
                    at += width;
                    continue;
                }
                // \" \\ \b \f \n \r \t (or a bad escape): kept, and so left to Python.
                Some(&next) => {
                    out.extend_from_slice(&[b'\\', next]);
                    at += 2;
                    continue;
                }
                None => return None,
            }
        }
        out.push(byte);
        at += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{unescape, Cursor, Value};

    #[test]
    fn escapes_of_plain_characters_are_written_out() {
        let text = |line: &str| unescape(line.as_bytes()).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(text(r#"{"a":"\u5cb3\u9633 \/x \ud83d\ude00 \u0041"}"#).as_deref(),
                   Some("{\"a\":\"岳阳 /x 😀 A\"}"));
        assert_eq!(text(r#"{"a":"x\n\"y"}"#).as_deref(), Some(r#"{"a":"x\n\"y"}"#));
        for bad in [r#"{"a":"\ud83d"}"#, r#"{"a":"\ude00"}"#, r#"{"a":"\u0022"}"#,
                    r#"{"a":"\u005c"}"#, r#"{"a":"\u001f"}"#, r#"{"a":"\u12"}"#,
                    r#"{"a":tr\u0075e}"#, r#"{"a":"x\"#] {
            assert_eq!(text(bad), None, "{bad}");
        }
    }

    fn value(text: &str) -> Option<Value<'_>> {
        let mut cursor = Cursor::new(text.as_bytes())?;
        let value = cursor.value()?;
        cursor.at_end().then_some(value)
    }

    #[test]
    fn plain_values() {
        assert_eq!(value(r#" "a b" "#), Some(Value::Str("a b")));
        assert_eq!(value("岳".len().to_string().as_str()), Some(Value::Int(3)));
        assert_eq!(value("-12"), Some(Value::Int(-12)));
        assert_eq!(value("true"), Some(Value::Bool(true)));
        assert_eq!(value("null"), Some(Value::Null));
        assert_eq!(value(r#"[ "a" , "岳" ]"#), Some(Value::Strs(vec!["a", "岳"])));
        assert_eq!(value("[]"), Some(Value::Strs(vec![])));
    }

    #[test]
    fn everything_else_is_left_to_python() {
        for text in [r#""a\"b""#, "\"a\u{1}\"", "1.0", "1e2", "01", "-", "tru", "nul",
                     "[1]", "[\"a\",]", "{}", "\"open", "1234567890123456789"] {
            assert_eq!(value(text), None, "{text}");
        }
    }
}
