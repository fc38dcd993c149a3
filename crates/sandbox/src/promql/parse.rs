//! A PromQL subset's lexer and recursive-descent parser. What it does not know it refuses
//! with a message (the API answers it as `bad_data`), never by guessing.

use regex::Regex;

use super::ast::{AggOp, BinOp, Expr, Grouping, MatchOp, Matcher, Matching, Type};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Str(String),
    Duration(i64),
    Op(&'static str),
}

const OPS: [&str; 22] = [
    "==", "!=", "=~", "!~", ">=", "<=", "(", ")", "{", "}", "[", "]", ",", "=", "+", "-", "*", "/",
    "%", "^", ">", "<",
];

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, String> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        // a range's duration: `[5m]`
        if matches!(out.last(), Some((_, Tok::Op("[")))) {
            let end = src[i..]
                .find([']', ':'])
                .map(|n| i + n)
                .ok_or_else(|| format!("unclosed `[` at char {}", i))?;
            if b[end] == b':' {
                return Err("subqueries (`[range:step]`) are not supported by the sandbox".into());
            }
            out.push((start, Tok::Duration(parse_duration(src[i..end].trim())?)));
            i = end;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            while i < b.len()
                && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':')
            {
                i += 1;
            }
            let word = &src[start..i];
            out.push((
                start,
                match word.to_ascii_lowercase().as_str() {
                    "inf" => Tok::Num(f64::INFINITY),
                    "nan" => Tok::Num(f64::NAN),
                    _ => Tok::Ident(word.to_owned()),
                },
            ));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            while i < b.len()
                && ((b[i] as char).is_ascii_alphanumeric()
                    || b[i] == b'.'
                    || ((b[i] == b'+' || b[i] == b'-') && matches!(b[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            let text = &src[start..i];
            let n = text
                .parse::<f64>()
                .map_err(|_| format!("bad number or duration `{text}` at char {start}"))?;
            out.push((start, Tok::Num(n)));
            continue;
        }
        if c == '"' || c == '\'' || c == '`' {
            i += 1;
            let mut s = String::new();
            loop {
                let Some(ch) = src[i..].chars().next() else {
                    return Err(format!("unterminated string at char {start}"));
                };
                i += ch.len_utf8();
                if ch == c {
                    break;
                }
                if ch == '\\' && c != '`' {
                    let Some(e) = src[i..].chars().next() else {
                        return Err(format!("unterminated string at char {start}"));
                    };
                    i += e.len_utf8();
                    s.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '\\' | '"' | '\'' => e,
                        other => return Err(format!("unknown escape sequence `\\{other}`")),
                    });
                } else {
                    s.push(ch);
                }
            }
            out.push((start, Tok::Str(s)));
            continue;
        }
        let Some(op) = OPS.iter().find(|op| src[i..].starts_with(**op)) else {
            return Err(format!("unexpected character `{c}` at char {i}"));
        };
        i += op.len();
        out.push((start, Tok::Op(op)));
    }
    Ok(out)
}

/// A Prometheus duration: `1h30m`, `5m`, `90s`, `500ms` (units y w d h m s ms).
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("bad duration `{s}`");
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let (unit, len) = if rest.starts_with("ms") {
            (1, 2)
        } else {
            let mult = match rest.chars().next() {
                Some('s') => 1000,
                Some('m') => 60_000,
                Some('h') => 3_600_000,
                Some('d') => 86_400_000,
                Some('w') => 7 * 86_400_000,
                Some('y') => 365 * 86_400_000,
                _ => return Err(bad()),
            };
            (mult, 1)
        };
        rest = &rest[len..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if total <= 0 {
        return Err(bad());
    }
    Ok(total)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    len: usize,
}

/// Parses and type-checks `src`.
pub fn parse(src: &str) -> Result<Expr, String> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        len: src.len(),
    };
    if p.toks.is_empty() {
        return Err("no expression found in input".into());
    }
    let e = p.expr(0)?;
    if let Some((at, t)) = p.toks.get(p.pos) {
        return Err(format!("unexpected {} at char {at}", show(t)));
    }
    type_of(&e)?;
    Ok(e)
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("identifier `{s}`"),
        Tok::Num(n) => format!("number {n}"),
        Tok::Str(s) => format!("string {s:?}"),
        Tok::Duration(_) => "duration".into(),
        Tok::Op(o) => format!("`{o}`"),
    }
}

fn binop(t: &Tok) -> Option<(BinOp, u8)> {
    Some(match t {
        Tok::Op("==") => (BinOp::Eq, 1),
        Tok::Op("!=") => (BinOp::Ne, 1),
        Tok::Op(">") => (BinOp::Gt, 1),
        Tok::Op("<") => (BinOp::Lt, 1),
        Tok::Op(">=") => (BinOp::Ge, 1),
        Tok::Op("<=") => (BinOp::Le, 1),
        Tok::Op("+") => (BinOp::Add, 2),
        Tok::Op("-") => (BinOp::Sub, 2),
        Tok::Op("*") => (BinOp::Mul, 3),
        Tok::Op("/") => (BinOp::Div, 3),
        Tok::Op("%") => (BinOp::Mod, 3),
        Tok::Op("^") => (BinOp::Pow, 4),
        _ => return None,
    })
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.1)
    }
    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.len, |t| t.0)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.1.clone());
        self.pos += 1;
        t
    }
    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, op: &str) -> Result<(), String> {
        if self.eat(op) {
            return Ok(());
        }
        let at = self.at();
        Err(match self.peek() {
            Some(t) => format!("unexpected {} at char {at}, expected `{op}`", show(t)),
            None => format!("unexpected end of input, expected `{op}`"),
        })
    }
    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Binary operators by precedence climbing (`^` right-associative).
    fn expr(&mut self, min: u8) -> Result<Expr, String> {
        let mut lhs = self.unary()?;
        loop {
            if let Some(Tok::Ident(w)) = self.peek()
                && matches!(w.as_str(), "and" | "or" | "unless" | "atan2")
            {
                return Err(format!(
                    "the `{w}` operator is not supported by the sandbox"
                ));
            }
            let Some((op, prec)) = self.peek().and_then(binop) else {
                break;
            };
            if prec < min {
                break;
            }
            self.pos += 1;
            let bool_mod = self.keyword("bool");
            if bool_mod && !op.is_comparison() {
                return Err("bool modifier can only be used on comparison operators".into());
            }
            let matching = self.matching()?;
            let next = if op == BinOp::Pow { prec } else { prec + 1 };
            let rhs = self.expr(next)?;
            lhs = Expr::Binary {
                op,
                bool_mod,
                matching,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            };
        }
        Ok(lhs)
    }

    fn matching(&mut self) -> Result<Option<Matching>, String> {
        let on = if self.keyword("on") {
            true
        } else if self.keyword("ignoring") {
            false
        } else {
            return Ok(None);
        };
        let labels = self.label_list()?;
        if let Some(Tok::Ident(w)) = self.peek()
            && matches!(w.as_str(), "group_left" | "group_right")
        {
            return Err(format!("`{w}` is not supported by the sandbox"));
        }
        Ok(Some(Matching { on, labels }))
    }

    fn label_list(&mut self) -> Result<Vec<String>, String> {
        self.expect("(")?;
        let mut out = Vec::new();
        loop {
            if self.eat(")") {
                return Ok(out);
            }
            match self.next() {
                Some(Tok::Ident(l)) => out.push(l),
                other => {
                    return Err(format!(
                        "expected a label name in grouping, got {}",
                        other.map_or("end of input".into(), |t| show(&t))
                    ));
                }
            }
            if !self.eat(",") {
                self.expect(")")?;
                return Ok(out);
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("-") {
            let e = self.expr(4)?;
            return Ok(match e {
                Expr::Number(n) => Expr::Number(-n),
                e => Expr::Neg(Box::new(e)),
            });
        }
        if self.eat("+") {
            return self.expr(4);
        }
        let e = self.primary()?;
        if let Some(Tok::Ident(w)) = self.peek()
            && w == "offset"
        {
            return Err("`offset` is not supported by the sandbox".into());
        }
        if matches!(self.peek(), Some(Tok::Op("@"))) {
            return Err("`@` is not supported by the sandbox".into());
        }
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let at = self.at();
        match self.next() {
            None => Err("unexpected end of input".into()),
            Some(Tok::Num(n)) => Ok(Expr::Number(n)),
            Some(Tok::Str(s)) => Ok(Expr::Str(s)),
            Some(Tok::Op("(")) => {
                let e = self.expr(0)?;
                self.expect(")")?;
                if matches!(self.peek(), Some(Tok::Op("["))) {
                    return Err("subqueries are not supported by the sandbox".into());
                }
                Ok(Expr::Paren(Box::new(e)))
            }
            Some(Tok::Op("{")) => self.selector(None, at),
            Some(Tok::Ident(name)) => {
                if let Some(op) = AggOp::parse(&name) {
                    return self.aggregation(op);
                }
                if matches!(self.peek(), Some(Tok::Op("("))) {
                    return self.call(name);
                }
                if matches!(
                    name.as_str(),
                    "topk"
                        | "bottomk"
                        | "quantile"
                        | "count_values"
                        | "stddev"
                        | "stdvar"
                        | "group"
                ) {
                    return Err(format!(
                        "aggregation `{name}` is not supported by the sandbox"
                    ));
                }
                if self.eat("{") {
                    self.selector(Some(name), at)
                } else {
                    self.range_or_instant(vec![Matcher::new("__name__", MatchOp::Eq, &name)?])
                }
            }
            Some(t) => Err(format!("unexpected {} at char {at}", show(&t))),
        }
    }

    fn aggregation(&mut self, op: AggOp) -> Result<Expr, String> {
        let mut grouping = self.grouping()?;
        self.expect("(")?;
        let e = self.expr(0)?;
        if self.eat(",") {
            return Err(format!("`{}` takes one argument", op.name()));
        }
        self.expect(")")?;
        if grouping == Grouping::None {
            grouping = self.grouping()?;
        }
        Ok(Expr::Agg {
            op,
            grouping,
            expr: Box::new(e),
        })
    }

    fn grouping(&mut self) -> Result<Grouping, String> {
        if self.keyword("by") {
            Ok(Grouping::By(self.label_list()?))
        } else if self.keyword("without") {
            Ok(Grouping::Without(self.label_list()?))
        } else {
            Ok(Grouping::None)
        }
    }

    fn call(&mut self, name: String) -> Result<Expr, String> {
        if function_signature(&name).is_none() {
            return Err(format!("unknown function with name {name:?}"));
        }
        self.expect("(")?;
        let mut args = Vec::new();
        if !self.eat(")") {
            loop {
                args.push(self.expr(0)?);
                if self.eat(")") {
                    break;
                }
                self.expect(",")?;
            }
        }
        Ok(Expr::Call(name, args))
    }

    fn selector(&mut self, name: Option<String>, at: usize) -> Result<Expr, String> {
        let mut matchers = Vec::new();
        if let Some(n) = &name {
            matchers.push(Matcher::new("__name__", MatchOp::Eq, n)?);
        }
        loop {
            if self.eat("}") {
                break;
            }
            let label = match self.next() {
                Some(Tok::Ident(l)) => l,
                Some(Tok::Str(_)) => {
                    return Err("quoted label names are not supported by the sandbox".into());
                }
                other => {
                    return Err(format!(
                        "unexpected {} in label matching, expected a label name",
                        other.map_or("end of input".into(), |t| show(&t))
                    ));
                }
            };
            let op = match self.next() {
                Some(Tok::Op("=")) => MatchOp::Eq,
                Some(Tok::Op("!=")) => MatchOp::Ne,
                Some(Tok::Op("=~")) => MatchOp::Re,
                Some(Tok::Op("!~")) => MatchOp::NotRe,
                other => {
                    return Err(format!(
                        "unexpected {} in label matching, expected one of `=`, `!=`, `=~`, `!~`",
                        other.map_or("end of input".into(), |t| show(&t))
                    ));
                }
            };
            let value = match self.next() {
                Some(Tok::Str(s)) => s,
                other => {
                    return Err(format!(
                        "unexpected {} in label matching, expected a string",
                        other.map_or("end of input".into(), |t| show(&t))
                    ));
                }
            };
            if label == "__name__" && name.is_some() {
                return Err(format!(
                    "metric name must not be set twice: {:?}",
                    name.unwrap_or_default()
                ));
            }
            matchers.push(Matcher::new(&label, op, &value)?);
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        if matchers.iter().all(|m| m.matches("")) {
            return Err(format!(
                "vector selector must contain at least one non-empty matcher (char {at})"
            ));
        }
        self.range_or_instant(matchers)
    }

    fn range_or_instant(&mut self, matchers: Vec<Matcher>) -> Result<Expr, String> {
        if self.eat("[") {
            let range = match self.next() {
                Some(Tok::Duration(d)) => d,
                _ => return Err("expected a duration in `[…]`".into()),
            };
            self.expect("]")?;
            return Ok(Expr::Range(matchers, range));
        }
        Ok(Expr::Selector(matchers))
    }
}

impl Matcher {
    pub fn new(name: &str, op: MatchOp, value: &str) -> Result<Matcher, String> {
        let re = match op {
            MatchOp::Re | MatchOp::NotRe => Some(
                Regex::new(&format!("^(?s:{value})$"))
                    .map_err(|e| format!("invalid regular expression {value:?}: {e}"))?,
            ),
            _ => None,
        };
        Ok(Matcher {
            name: name.to_owned(),
            op,
            value: value.to_owned(),
            re,
        })
    }

    /// Whether a label value (empty: no such label) matches.
    pub fn matches(&self, v: &str) -> bool {
        match (&self.op, &self.re) {
            (MatchOp::Eq, _) => v == self.value,
            (MatchOp::Ne, _) => v != self.value,
            (MatchOp::Re, Some(re)) => re.is_match(v),
            (MatchOp::NotRe, Some(re)) => !re.is_match(v),
            _ => false,
        }
    }
}

/// The type a parsed expression's value has, for the checks.
pub fn expect_type(e: &Expr, want: Type, what: &str) -> Result<(), String> {
    let got = type_of(e)?;
    if got != want {
        return Err(format!(
            "expected type {} in {what}, got {}",
            want.name(),
            got.name()
        ));
    }
    Ok(())
}

/// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The functions known: their argument types (the last repeated for `label_join`) and
/// result.
pub fn function_signature(name: &str) -> Option<(&'static [Type], Type)> {
    use Type::*;
    Some(match name {
        "rate" | "irate" | "increase" => (&[Matrix], Vector),
        "histogram_quantile" => (&[Scalar, Vector], Vector),
        "clamp_max" | "clamp_min" => (&[Vector, Scalar], Vector),
        "clamp" => (&[Vector, Scalar, Scalar], Vector),
        "abs" => (&[Vector], Vector),
        "label_replace" => (&[Vector, String, String, String, String], Vector),
        "label_join" => (&[Vector, String, String, String], Vector),
        "scalar" => (&[Vector], Scalar),
        "vector" => (&[Scalar], Vector),
        "time" => (&[], Scalar),
        _ => return None,
    })
}

/// The type of an expression's value, checking every part as Prometheus's parser does.
pub fn type_of(e: &Expr) -> Result<Type, String> {
    Ok(match e {
        Expr::Number(_) => Type::Scalar,
        Expr::Str(_) => Type::String,
        Expr::Selector(_) => Type::Vector,
        Expr::Range(..) => Type::Matrix,
        Expr::Paren(e) => type_of(e)?,
        Expr::Neg(e) => match type_of(e)? {
            t @ (Type::Scalar | Type::Vector) => t,
            t => {
                return Err(format!(
                    "unary expression only allowed on expressions of type scalar or instant vector, got {}",
                    t.name()
                ));
            }
        },
        Expr::Agg { op, expr, .. } => {
            expect_type(
                expr,
                Type::Vector,
                &format!("aggregation expression `{}`", op.name()),
            )?;
            Type::Vector
        }
        Expr::Call(name, args) => {
            let (params, ret) = function_signature(name)
                .ok_or_else(|| format!("unknown function with name {name:?}"))?;
            let variadic = name == "label_join";
            let ok_count = if variadic {
                args.len() >= params.len() - 1
            } else {
                args.len() == params.len()
            };
            if !ok_count {
                return Err(format!(
                    "expected {} argument(s) in call to {name:?}, got {}",
                    params.len(),
                    args.len()
                ));
            }
            for (i, a) in args.iter().enumerate() {
                let want = params[i.min(params.len() - 1)];
                expect_type(a, want, &format!("call to function {name:?}"))?;
            }
            ret
        }
        Expr::Binary {
            op,
            bool_mod,
            matching,
            lhs,
            rhs,
        } => {
            let (l, r) = (type_of(lhs)?, type_of(rhs)?);
            for t in [l, r] {
                if !matches!(t, Type::Scalar | Type::Vector) {
                    return Err(format!(
                        "binary expression must contain only scalar and instant vector types, got {}",
                        t.name()
                    ));
                }
            }
            if l == Type::Scalar && r == Type::Scalar {
                if op.is_comparison() && !bool_mod {
                    return Err("comparisons between scalars must use BOOL modifier".into());
                }
                if matching.is_some() {
                    return Err("vector matching only allowed between instant vectors".into());
                }
                Type::Scalar
            } else {
                if matching.is_some() && (l != Type::Vector || r != Type::Vector) {
                    return Err("vector matching only allowed between instant vectors".into());
                }
                Type::Vector
            }
        }
    })
}
