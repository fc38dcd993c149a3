//! The Prometheus HTTP API over the sandbox's simulated history (`history.rs`), with a
//! small, honest PromQL subset: selectors with `=`, `!=`, `=~`, `!~`; `rate`, `irate`,
//! `increase` over `[d]` with Prometheus's extrapolation; `sum`, `avg`, `min`, `max`,
//! `count` with `by`/`without`; arithmetic and comparison operators (`bool`, `on`,
//! `ignoring`) between scalars and vectors; `histogram_quantile`, `clamp_min`,
//! `clamp_max`, `clamp`, `abs`, `label_replace`, `label_join`, `scalar`, `vector`,
//! `time`. Anything else is refused as `bad_data`, as Prometheus refuses what it cannot
//! parse.
//!
//! - `parse.rs`: lexer and parser;
//! - `eval.rs`: evaluation at one time;
//! - `api.rs`: `/api/v1/query`, `/api/v1/query_range`, `/api/v1/alerts`.

pub mod api;
pub mod eval;
pub mod parse;

use regex::Regex;

pub use parse::parse;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Eq,
    Ne,
    Re,
    NotRe,
}

#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    /// the anchored regex of `=~` and `!~`
    pub re: Option<Regex>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggOp {
    Sum,
    Avg,
    Min,
    Max,
    Count,
}

impl AggOp {
    fn parse(word: &str) -> Option<AggOp> {
        Some(match word {
            "sum" => AggOp::Sum,
            "avg" => AggOp::Avg,
            "min" => AggOp::Min,
            "max" => AggOp::Max,
            "count" => AggOp::Count,
            _ => return None,
        })
    }
    fn name(self) -> &'static str {
        match self {
            AggOp::Sum => "sum",
            AggOp::Avg => "avg",
            AggOp::Min => "min",
            AggOp::Max => "max",
            AggOp::Count => "count",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    None,
    By(Vec<String>),
    Without(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

impl BinOp {
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Gt | BinOp::Lt | BinOp::Ge | BinOp::Le
        )
    }
}

/// `on(…)` (true) or `ignoring(…)` (false) and its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matching {
    pub on: bool,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Expr {
    Number(f64),
    Str(String),
    Selector(Vec<Matcher>),
    /// a range vector selector and its range (ms)
    Range(Vec<Matcher>, i64),
    Call(String, Vec<Expr>),
    Agg {
        op: AggOp,
        grouping: Grouping,
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        bool_mod: bool,
        matching: Option<Matching>,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Neg(Box<Expr>),
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Scalar,
    Vector,
    Matrix,
    String,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Scalar => "scalar",
            Type::Vector => "instant vector",
            Type::Matrix => "range vector",
            Type::String => "string",
        }
    }
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
            parse::expect_type(
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
                parse::expect_type(a, want, &format!("call to function {name:?}"))?;
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
