//! Evaluating a parsed expression at one time over the history, as Prometheus's engine
//! does for the subset the parser accepts.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::ast::{AggOp, BinOp, Expr, Grouping, Matcher, Matching};
use crate::history::{Labels, Series, Tsdb};

/// How far back an instant selector looks for a sample (Prometheus's default).
pub const LOOKBACK_MS: i64 = 5 * 60_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    pub value: f64,
}

#[derive(Debug, Clone)]
pub enum Value {
    Scalar(f64),
    Vector(Vec<Sample>),
    /// labels and (unix ms, value) pairs per series
    Matrix(Vec<(Labels, Vec<(i64, f64)>)>),
    Str(String),
}

/// Evaluates expressions over one history, at as many times as asked: which series each
/// selector picks is worked out once (a range query evaluates at every step).
pub struct Evaluator<'a> {
    db: &'a Tsdb,
    /// selector (its matchers' address) → the indexes of the series it picks
    selected: RefCell<HashMap<usize, Rc<[usize]>>>,
    /// `label_replace`'s regexes, compiled once
    regexes: RefCell<HashMap<String, Rc<regex::Regex>>>,
}

impl<'a> Evaluator<'a> {
    pub fn new(db: &'a Tsdb) -> Self {
        Evaluator {
            db,
            selected: RefCell::new(HashMap::new()),
            regexes: RefCell::new(HashMap::new()),
        }
    }

    fn select(&self, ms: &[Matcher]) -> Rc<[usize]> {
        let key = ms.as_ptr() as usize;
        if let Some(s) = self.selected.borrow().get(&key) {
            return s.clone();
        }
        let picked: Rc<[usize]> = self
            .db
            .series()
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                ms.iter().all(|m| {
                    let v = s.labels.get(&m.name).map_or("", String::as_str);
                    m.matches(v)
                })
            })
            .map(|(i, _)| i)
            .collect();
        self.selected.borrow_mut().insert(key, picked.clone());
        picked
    }

    fn series(&self, ms: &[Matcher]) -> impl Iterator<Item = &'a Series> + use<'a> {
        let db = self.db;
        let picked = self.select(ms);
        (0..picked.len()).map(move |i| &db.series()[picked[i]])
    }

    fn regex(&self, re: &str) -> Result<Rc<regex::Regex>, String> {
        if let Some(r) = self.regexes.borrow().get(re) {
            return Ok(r.clone());
        }
        let compiled = regex::Regex::new(&format!("^(?s:{re})$"))
            .map_err(|e| format!("invalid regular expression in label_replace(): {re:?}: {e}"))?;
        let compiled = Rc::new(compiled);
        self.regexes
            .borrow_mut()
            .insert(re.to_owned(), compiled.clone());
        Ok(compiled)
    }

    /// Evaluates `e` at unix ms `t`.
    pub fn eval(&self, e: &Expr, t: i64) -> Result<Value, String> {
        Ok(match e {
            Expr::Number(n) => Value::Scalar(*n),
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::Paren(e) => self.eval(e, t)?,
            Expr::Selector(ms) => Value::Vector(
                self.series(ms)
                    .filter_map(|s| {
                        s.between(t.saturating_sub(LOOKBACK_MS), t)
                            .last()
                            .map(|(_, v)| Sample {
                                labels: s.labels.clone(),
                                value: v,
                            })
                    })
                    .collect(),
            ),
            Expr::Range(ms, range) => Value::Matrix(
                self.series(ms)
                    .map(|s| {
                        (
                            s.labels.clone(),
                            s.between(t.saturating_sub(*range), t).collect::<Vec<_>>(),
                        )
                    })
                    .filter(|(_, pts)| !pts.is_empty())
                    .collect(),
            ),
            Expr::Neg(e) => match self.eval(e, t)? {
                Value::Scalar(v) => Value::Scalar(-v),
                Value::Vector(v) => Value::Vector(map_values(v, |x| -x)),
                _ => return Err("unary minus on a non-number".into()),
            },
            Expr::Agg { op, grouping, expr } => {
                Value::Vector(aggregate(*op, grouping, vector(self.eval(expr, t)?)?))
            }
            Expr::Call(name, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a, t)?);
                }
                call(name, args, vals, t, &|re: &str| self.regex(re))?
            }
            Expr::Binary {
                op,
                bool_mod,
                matching,
                lhs,
                rhs,
            } => binary(
                *op,
                *bool_mod,
                matching.as_ref(),
                self.eval(lhs, t)?,
                self.eval(rhs, t)?,
            )?,
        })
    }
}

/// Evaluates `e` at unix ms `t` (once; see [`Evaluator`] for many times).
pub fn eval(e: &Expr, db: &Tsdb, t: i64) -> Result<Value, String> {
    Evaluator::new(db).eval(e, t)
}

fn vector(v: Value) -> Result<Vec<Sample>, String> {
    match v {
        Value::Vector(v) => Ok(v),
        _ => Err("expected an instant vector".into()),
    }
}

fn scalar(v: Value) -> Result<f64, String> {
    match v {
        Value::Scalar(v) => Ok(v),
        _ => Err("expected a scalar".into()),
    }
}

fn string(v: Value) -> Result<String, String> {
    match v {
        Value::Str(s) => Ok(s),
        _ => Err("expected a string".into()),
    }
}

fn drop_name(mut l: Labels) -> Labels {
    l.remove("__name__");
    l
}

fn map_values(v: Vec<Sample>, f: impl Fn(f64) -> f64) -> Vec<Sample> {
    v.into_iter()
        .map(|s| Sample {
            labels: drop_name(s.labels),
            value: f(s.value),
        })
        .collect()
}

/// Prometheus's `extrapolatedRate`: the increase over the samples in the range,
/// counter resets corrected, extrapolated to the range's ends (at most half a sample
/// interval beyond the samples, and not below zero for a counter), per second for `rate`.
pub fn extrapolated_rate(
    points: &[(i64, f64)],
    t: i64,
    range: i64,
    per_second: bool,
) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let (first, last) = (points[0], points[points.len() - 1]);
    let mut result = last.1 - first.1;
    for w in points.windows(2) {
        if w[1].1 < w[0].1 {
            result += w[0].1;
        }
    }
    let range_start = t.saturating_sub(range) as f64 / 1000.0;
    let range_end = t as f64 / 1000.0;
    let mut to_start = first.0 as f64 / 1000.0 - range_start;
    let to_end = range_end - last.0 as f64 / 1000.0;
    let sampled = (last.0 - first.0) as f64 / 1000.0;
    let average = sampled / (points.len() - 1) as f64;
    if result > 0.0 && first.1 >= 0.0 {
        let to_zero = sampled * (first.1 / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = average * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        average / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        average / 2.0
    };
    let mut v = result * (interval / sampled);
    if per_second {
        v /= range as f64 / 1000.0;
    }
    Some(v)
}

type RegexOf<'r> = &'r dyn Fn(&str) -> Result<Rc<regex::Regex>, String>;

fn call(
    name: &str,
    args: &[Expr],
    vals: Vec<Value>,
    t: i64,
    regex_of: RegexOf,
) -> Result<Value, String> {
    let mut vals = vals.into_iter();
    let mut next = || {
        vals.next()
            .ok_or_else(|| format!("too few arguments to {name}"))
    };
    Ok(match name {
        "rate" | "increase" | "irate" => {
            let range = match args.first() {
                Some(Expr::Range(_, r)) => *r,
                _ => return Err(format!("{name} needs a range vector selector")),
            };
            let Value::Matrix(m) = next()? else {
                return Err(format!("{name} needs a range vector"));
            };
            Value::Vector(
                m.into_iter()
                    .filter_map(|(labels, pts)| {
                        let value = if name == "irate" {
                            irate(&pts)?
                        } else {
                            extrapolated_rate(&pts, t, range, name == "rate")?
                        };
                        Some(Sample {
                            labels: drop_name(labels),
                            value,
                        })
                    })
                    .collect(),
            )
        }
        "histogram_quantile" => {
            let q = scalar(next()?)?;
            Value::Vector(histogram_quantile(q, vector(next()?)?))
        }
        "clamp_max" | "clamp_min" | "clamp" => {
            let v = vector(next()?)?;
            let (lo, hi) = match name {
                "clamp_max" => (f64::NEG_INFINITY, scalar(next()?)?),
                "clamp_min" => (scalar(next()?)?, f64::INFINITY),
                _ => (scalar(next()?)?, scalar(next()?)?),
            };
            if lo > hi {
                Value::Vector(Vec::new())
            } else {
                Value::Vector(map_values(v, |x| x.max(lo).min(hi)))
            }
        }
        "abs" => Value::Vector(map_values(vector(next()?)?, f64::abs)),
        "scalar" => {
            let v = vector(next()?)?;
            Value::Scalar(if v.len() == 1 { v[0].value } else { f64::NAN })
        }
        "vector" => Value::Vector(vec![Sample {
            labels: Labels::new(),
            value: scalar(next()?)?,
        }]),
        "time" => Value::Scalar(t as f64 / 1000.0),
        "label_replace" => {
            let v = vector(next()?)?;
            let (dst, repl, src, re) = (
                string(next()?)?,
                string(next()?)?,
                string(next()?)?,
                string(next()?)?,
            );
            let re = regex_of(&re)?;
            if !crate::promql::parse::is_label_name(&dst) {
                return Err(format!(
                    "invalid destination label name in label_replace(): {dst}"
                ));
            }
            Value::Vector(
                v.into_iter()
                    .map(|mut s| {
                        let value = s.labels.get(&src).cloned().unwrap_or_default();
                        if let Some(caps) = re.captures(&value) {
                            let mut out = String::new();
                            caps.expand(&repl, &mut out);
                            set_label(&mut s.labels, &dst, out);
                        }
                        s
                    })
                    .collect(),
            )
        }
        "label_join" => {
            let v = vector(next()?)?;
            let (dst, sep) = (string(next()?)?, string(next()?)?);
            let mut srcs = Vec::new();
            while let Ok(s) = next() {
                srcs.push(string(s)?);
            }
            if !crate::promql::parse::is_label_name(&dst) {
                return Err(format!(
                    "invalid destination label name in label_join(): {dst}"
                ));
            }
            Value::Vector(
                v.into_iter()
                    .map(|mut s| {
                        let joined: Vec<String> = srcs
                            .iter()
                            .map(|l| s.labels.get(l).cloned().unwrap_or_default())
                            .collect();
                        set_label(&mut s.labels, &dst, joined.join(&sep));
                        s
                    })
                    .collect(),
            )
        }
        other => return Err(format!("unknown function with name {other:?}")),
    })
}

fn set_label(labels: &mut Labels, name: &str, value: String) {
    if value.is_empty() {
        labels.remove(name);
    } else {
        labels.insert(name.to_owned(), value);
    }
}

fn irate(pts: &[(i64, f64)]) -> Option<f64> {
    let [.., (t0, v0), (t1, v1)] = pts else {
        return None;
    };
    let dt = (t1 - t0) as f64 / 1000.0;
    if dt <= 0.0 {
        return None;
    }
    let inc = if v1 < v0 { *v1 } else { v1 - v0 };
    Some(inc / dt)
}

fn group_key(labels: &Labels, grouping: &Grouping) -> Labels {
    match grouping {
        Grouping::None => Labels::new(),
        Grouping::By(keep) => labels
            .iter()
            .filter(|(k, _)| keep.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Grouping::Without(drop) => labels
            .iter()
            .filter(|(k, _)| *k != "__name__" && !drop.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

fn aggregate(op: AggOp, grouping: &Grouping, v: Vec<Sample>) -> Vec<Sample> {
    // group → (sum, count, min, max)
    let mut groups: BTreeMap<Labels, (f64, f64, f64, f64)> = BTreeMap::new();
    for s in v {
        let g =
            groups
                .entry(group_key(&s.labels, grouping))
                .or_insert((0.0, 0.0, f64::NAN, f64::NAN));
        g.0 += s.value;
        g.1 += 1.0;
        // NaN is replaced by any number, as Prometheus's min/max do
        if g.2.is_nan() || s.value < g.2 {
            g.2 = s.value;
        }
        if g.3.is_nan() || s.value > g.3 {
            g.3 = s.value;
        }
    }
    groups
        .into_iter()
        .map(|(labels, (sum, n, min, max))| Sample {
            labels,
            value: match op {
                AggOp::Sum => sum,
                AggOp::Avg => sum / n,
                AggOp::Min => min,
                AggOp::Max => max,
                AggOp::Count => n,
            },
        })
        .collect()
}

/// Prometheus's classic-histogram quantile over `le` buckets, per group of the other labels.
fn histogram_quantile(q: f64, v: Vec<Sample>) -> Vec<Sample> {
    let mut groups: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
    for s in v {
        let Some(le) = s.labels.get("le").and_then(|le| parse_le(le.as_str())) else {
            continue;
        };
        let mut key = drop_name(s.labels);
        key.remove("le");
        groups.entry(key).or_default().push((le, s.value));
    }
    groups
        .into_iter()
        .map(|(labels, mut buckets)| {
            buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            Sample {
                labels,
                value: bucket_quantile(q, &mut buckets),
            }
        })
        .collect()
}

fn parse_le(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        _ => s.parse().ok(),
    }
}

fn bucket_quantile(q: f64, b: &mut [(f64, f64)]) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    if b.len() < 2 || b.last().is_none_or(|l| l.0 != f64::INFINITY) {
        return f64::NAN;
    }
    // counts made monotonic, as Prometheus does for buckets scraped at slightly different times
    for i in 1..b.len() {
        if b[i].1 < b[i - 1].1 {
            b[i].1 = b[i - 1].1;
        }
    }
    let observations = b[b.len() - 1].1;
    if observations == 0.0 || observations.is_nan() {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let i = b.partition_point(|x| x.1 < rank);
    if i >= b.len() - 1 {
        return b[b.len() - 2].0;
    }
    if i == 0 && b[0].0 <= 0.0 {
        return b[0].0;
    }
    let (mut start, end, mut count) = (0.0, b[i].0, b[i].1);
    if i > 0 {
        start = b[i - 1].0;
        count -= b[i - 1].1;
        rank -= b[i - 1].1;
    }
    start + (end - start) * (rank / count)
}

fn apply(op: BinOp, l: f64, r: f64) -> f64 {
    match op {
        BinOp::Add => l + r,
        BinOp::Sub => l - r,
        BinOp::Mul => l * r,
        BinOp::Div => l / r,
        BinOp::Mod => l % r,
        BinOp::Pow => l.powf(r),
        BinOp::Eq => f64::from(u8::from(l == r)),
        BinOp::Ne => f64::from(u8::from(l != r)),
        BinOp::Gt => f64::from(u8::from(l > r)),
        BinOp::Lt => f64::from(u8::from(l < r)),
        BinOp::Ge => f64::from(u8::from(l >= r)),
        BinOp::Le => f64::from(u8::from(l <= r)),
    }
}

fn signature(labels: &Labels, matching: Option<&Matching>) -> Labels {
    labels
        .iter()
        .filter(|(k, _)| match matching {
            Some(Matching { on: true, labels }) => labels.contains(k),
            Some(Matching { on: false, labels }) => *k != "__name__" && !labels.contains(k),
            None => *k != "__name__",
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn binary(
    op: BinOp,
    bool_mod: bool,
    matching: Option<&Matching>,
    lhs: Value,
    rhs: Value,
) -> Result<Value, String> {
    let cmp = op.is_comparison();
    // one side a vector: the sample kept (comparison) or computed (arithmetic)
    let one = |s: Sample, l: f64, r: f64| -> Option<Sample> {
        let v = apply(op, l, r);
        if cmp && !bool_mod {
            (v == 1.0).then_some(s)
        } else {
            Some(Sample {
                labels: drop_name(s.labels),
                value: v,
            })
        }
    };
    Ok(match (lhs, rhs) {
        (Value::Scalar(l), Value::Scalar(r)) => Value::Scalar(apply(op, l, r)),
        (Value::Vector(v), Value::Scalar(r)) => Value::Vector(
            v.into_iter()
                .filter_map(|s| {
                    let l = s.value;
                    one(s, l, r)
                })
                .collect(),
        ),
        (Value::Scalar(l), Value::Vector(v)) => Value::Vector(
            v.into_iter()
                .filter_map(|s| {
                    let r = s.value;
                    one(s, l, r)
                })
                .collect(),
        ),
        (Value::Vector(lv), Value::Vector(rv)) => {
            let mut right: HashMap<Labels, f64> = HashMap::new();
            for s in rv {
                let sig = signature(&s.labels, matching);
                if right.insert(sig, s.value).is_some() {
                    return Err("many-to-many matching not allowed: matching labels must be unique on one side".into());
                }
            }
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::new();
            for s in lv {
                let sig = signature(&s.labels, matching);
                let Some(r) = right.get(&sig).copied() else {
                    continue;
                };
                if !seen.insert(sig.clone()) {
                    return Err("found duplicate series for the match group on the left hand-side of the operation: many-to-one matching must be explicit (group_left/group_right)".into());
                }
                let v = apply(op, s.value, r);
                if cmp && !bool_mod {
                    if v == 1.0 {
                        out.push(s);
                    }
                    continue;
                }
                let labels = match matching {
                    Some(Matching { on: true, .. }) => sig,
                    _ => drop_name(s.labels),
                };
                out.push(Sample { labels, value: v });
            }
            Value::Vector(out)
        }
        _ => return Err("binary expression on a non-number".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_extrapolates_as_prometheus_does() {
        // samples every 15 s, 1/s; a 60 s window ending 5 s after the last sample
        let pts: Vec<(i64, f64)> = (1..=4)
            .map(|i| (i * 15_000, 100.0 + i as f64 * 15.0))
            .collect();
        let r = extrapolated_rate(&pts, 65_000, 60_000, true).unwrap_or(f64::NAN);
        // 45 s sampled, 10 s to the start (< 1.1 × 15 s) and 5 s to the end extrapolated
        assert!((r - 1.0).abs() < 1e-9, "{r}");
        // a reset: 10 → 20, then from 0 to 5
        let reset = [(0, 10.0), (15_000, 20.0), (30_000, 5.0)];
        let inc = extrapolated_rate(&reset, 30_000, 30_000, false).unwrap_or(f64::NAN);
        assert!((inc - 15.0).abs() < 1e-9, "{inc}");
        assert_eq!(extrapolated_rate(&pts[..1], 65_000, 60_000, true), None);
    }

    #[test]
    fn quantile_interpolates_within_the_bucket() {
        let mut b = vec![(0.1, 50.0), (1.0, 100.0), (f64::INFINITY, 100.0)];
        assert!((bucket_quantile(0.5, &mut b) - 0.1).abs() < 1e-9);
        assert!((bucket_quantile(0.75, &mut b) - 0.55).abs() < 1e-9);
        assert_eq!(bucket_quantile(1.0, &mut b), 1.0);
    }
}
