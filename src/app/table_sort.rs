//! Sorting any table by any of its columns: the order a table keeps ([`ColumnSort`]: a
//! column by its header, ascending or descending, or the table's own default order), the
//! sort menu (`o`: the columns, the current one marked ▲/▼), and how two cells compare —
//! numbers as numbers, ages (`5m`, `2d3h`) as durations, ratios (`2/10`) and quantities
//! (`1Gi`) as values, names naturally (`pod-2` before `pod-10`). Sorts are
//! stable: rows that compare equal keep the table's default order. Pure.

use std::cmp::Ordering;

/// A table's chosen order. `column: None` is the table's default order (the Workloads
/// tables: trouble first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ColumnSort {
    /// The column's header title (`AGE`), as the table names it.
    pub column: Option<String>,
    pub descending: bool,
}

impl ColumnSort {
    pub fn by(column: &str, descending: bool) -> ColumnSort {
        ColumnSort {
            column: Some(column.to_owned()),
            descending,
        }
    }

    /// `▲` or `▼` for a header `title` when the table is sorted by it.
    pub fn indicator(&self, title: &str) -> Option<&'static str> {
        (self.column.as_deref() == Some(title)).then_some(if self.descending {
            "▼"
        } else {
            "▲"
        })
    }

    /// Picking `column` in the menu: a new column sorts ascending, the current one is
    /// reversed.
    pub fn pick(&self, column: Option<&str>) -> ColumnSort {
        match column {
            None => ColumnSort::default(),
            Some(c) if self.column.as_deref() == Some(c) => ColumnSort::by(c, !self.descending),
            Some(c) => ColumnSort::by(c, false),
        }
    }

    /// The reverse key: the other direction (the default order has none).
    pub fn reversed(&self) -> ColumnSort {
        ColumnSort {
            column: self.column.clone(),
            descending: self.column.is_some() && !self.descending,
        }
    }

    /// For the status line: `sorted by AGE ▼`, `default order`.
    pub fn label(&self, default: &str) -> String {
        match &self.column {
            Some(c) => format!("sorted by {c} {}", if self.descending { "▼" } else { "▲" }),
            None => default.to_owned(),
        }
    }
}

/// A cell's value for ordering. Values of different sorts order Missing, then numbers,
/// then text.
#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    /// `-`, `<none>`, empty: always last, whichever the direction.
    Missing,
    /// A number, an age in seconds, a quantity, a ratio's value.
    Num(f64, f64),
    Text(String),
}

impl SortValue {
    pub fn num(n: f64) -> SortValue {
        SortValue::Num(n, 0.0)
    }

    /// A ratio `have/want` (ready counts): by its value, then by `have`.
    pub fn ratio(have: i64, want: i64) -> SortValue {
        let v = if want == 0 {
            1.0
        } else {
            have as f64 / want as f64
        };
        SortValue::Num(v, have as f64)
    }

    pub fn text(s: &str) -> SortValue {
        if s.is_empty() {
            SortValue::Missing
        } else {
            SortValue::Text(s.to_owned())
        }
    }

    /// The value a cell's text shows: an age, a ratio, a quantity or number (a leading
    /// one: `3 (5m ago)`), else the text itself.
    pub fn of_text(s: &str) -> SortValue {
        let t = s.trim();
        if t.is_empty() || matches!(t, "-" | "<none>" | "<unknown>" | "<unset>") {
            return SortValue::Missing;
        }
        if let Some(secs) = age_secs(t) {
            return SortValue::num(secs);
        }
        if let Some((a, b)) = t.split_once('/')
            && let (Ok(a), Ok(b)) = (a.trim().parse::<i64>(), leading_int(b))
        {
            return SortValue::ratio(a, b);
        }
        let first = t.split_whitespace().next().unwrap_or(t);
        if let Some(q) = quantity(first.trim_end_matches('%')) {
            return SortValue::num(q);
        }
        SortValue::Text(t.to_owned())
    }
}

fn leading_int(s: &str) -> Result<i64, std::num::ParseIntError> {
    let digits: String = s.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse()
}

/// kubectl's ages: `45s`, `5m`, `3h12m`, `2d3h`, `400d`, `2y30d`.
fn age_secs(t: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut num = String::new();
    let mut any = false;
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86400.0,
            'y' => 365.0 * 86400.0,
            _ => return None,
        };
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * unit;
        any = true;
    }
    (any && num.is_empty()).then_some(total)
}

/// A number, or a Kubernetes quantity (`1.5Gi`, `100k`; `250m` reads as an age first:
/// ages are in every table).
fn quantity(t: &str) -> Option<f64> {
    if let Ok(n) = t.parse::<f64>() {
        return n.is_finite().then_some(n);
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))?;
    let (n, suffix) = t.split_at(split);
    let n: f64 = n.parse().ok()?;
    let m = match suffix {
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0f64.powi(4),
        "Pi" => 1024.0f64.powi(5),
        _ => return None,
    };
    Some(n * m)
}

/// Text in natural order: runs of digits compare as numbers (`pod-2` < `pod-10`), the
/// rest case-insensitively.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (x.peek().copied(), y.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let mut n = String::new();
                while let Some(c) = x.peek().copied().filter(char::is_ascii_digit) {
                    n.push(c);
                    x.next();
                }
                let mut m = String::new();
                while let Some(d) = y.peek().copied().filter(char::is_ascii_digit) {
                    m.push(d);
                    y.next();
                }
                let (n1, m1) = (n.trim_start_matches('0'), m.trim_start_matches('0'));
                let o = n1.len().cmp(&m1.len()).then_with(|| n1.cmp(m1));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some(c), Some(d)) => {
                let o = c.to_lowercase().cmp(d.to_lowercase());
                if o != Ordering::Equal {
                    return o;
                }
                x.next();
                y.next();
            }
        }
    }
}

/// How two values compare, ascending.
pub fn compare(a: &SortValue, b: &SortValue) -> Ordering {
    use SortValue as V;
    match (a, b) {
        (V::Missing, V::Missing) => Ordering::Equal,
        (V::Num(a1, a2), V::Num(b1, b2)) => a1.total_cmp(b1).then(a2.total_cmp(b2)),
        (V::Text(a), V::Text(b)) => natural_cmp(a, b),
        (V::Num(..), V::Text(_)) => Ordering::Less,
        (V::Text(_), V::Num(..)) => Ordering::Greater,
        // Missing is placed by `sort_rows`, never here
        (V::Missing, _) => Ordering::Greater,
        (_, V::Missing) => Ordering::Less,
    }
}

/// Sorts `rows` (in the table's default order) by `value` of each, stably: equal values
/// keep the default order, missing values go last in either direction.
pub fn sort_rows<T>(rows: &mut [T], descending: bool, value: impl Fn(&T) -> SortValue) {
    let mut keyed: Vec<(SortValue, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (value(r), i))
        .collect();
    keyed.sort_by(|(a, i), (b, j)| {
        let o = match (a, b) {
            (SortValue::Missing, SortValue::Missing) => Ordering::Equal,
            (SortValue::Missing, _) => return Ordering::Greater,
            (_, SortValue::Missing) => return Ordering::Less,
            _ if descending => compare(b, a),
            _ => compare(a, b),
        };
        o.then(i.cmp(j))
    });
    let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    permute(rows, &order);
}

/// Puts `rows[order[k]]` at `k`.
fn permute<T>(rows: &mut [T], order: &[usize]) {
    let mut place: Vec<usize> = vec![0; order.len()];
    for (k, &i) in order.iter().enumerate() {
        place[i] = k;
    }
    for i in 0..rows.len() {
        while place[i] != i {
            let j = place[i];
            rows.swap(i, j);
            place.swap(i, j);
        }
    }
}

/// The sort menu (`o`): the table's default order first, then its columns; the cursor
/// starts on the current order. Enter picks (the current column again: reversed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortMenu {
    /// What the first entry is called (`trouble first`).
    pub default_label: String,
    pub columns: Vec<String>,
    /// 0: the default order; `i + 1`: `columns[i]`.
    pub selected: usize,
    pub current: ColumnSort,
}

impl SortMenu {
    pub fn new(default_label: &str, columns: Vec<String>, current: ColumnSort) -> SortMenu {
        let selected = current
            .column
            .as_ref()
            .and_then(|c| columns.iter().position(|x| x == c))
            .map_or(0, |i| i + 1);
        SortMenu {
            default_label: default_label.to_owned(),
            columns,
            selected,
            current,
        }
    }

    pub fn len(&self) -> usize {
        self.columns.len() + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn down(&mut self) {
        self.selected = (self.selected + 1).min(self.len() - 1);
    }

    pub fn up(&mut self) {
        self.selected = self.selected.saturating_sub(1);
    }

    /// The order the selected entry gives.
    pub fn chosen(&self) -> ColumnSort {
        let column = self
            .selected
            .checked_sub(1)
            .and_then(|i| self.columns.get(i));
        self.current.pick(column.map(String::as_str))
    }

    /// The entries as the menu shows them: `AGE ▼` on the current column.
    pub fn entries(&self) -> Vec<String> {
        let mut v = vec![format!(
            "{}{}",
            self.default_label,
            if self.current.column.is_none() {
                " •"
            } else {
                ""
            }
        )];
        v.extend(
            self.columns
                .iter()
                .map(|c| match self.current.indicator(c) {
                    Some(arrow) => format!("{c} {arrow}"),
                    None => c.clone(),
                }),
        );
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(cells: &[&str], descending: bool) -> Vec<String> {
        let mut v: Vec<String> = cells.iter().map(|s| (*s).to_owned()).collect();
        sort_rows(&mut v, descending, |s| SortValue::of_text(s));
        v
    }

    #[test]
    fn ages_sort_as_durations_not_text() {
        assert_eq!(
            sorted(&["2d", "45s", "5m", "3h12m", "10m", "-"], false),
            ["45s", "5m", "10m", "3h12m", "2d", "-"]
        );
        assert_eq!(
            sorted(&["2d", "45s", "5m", "-", "10m"], true),
            ["2d", "10m", "5m", "45s", "-"]
        );
    }

    #[test]
    fn counts_ratios_quantities_and_names() {
        assert_eq!(
            sorted(&["10", "9", "3 (5m ago)", "0"], false),
            ["0", "3 (5m ago)", "9", "10"]
        );
        assert_eq!(
            sorted(&["2/10", "10/10", "0/3", "1/2"], false),
            ["0/3", "2/10", "1/2", "10/10"]
        );
        assert_eq!(
            sorted(&["1Gi", "500Mi", "100Ki", "2", "1.5"], false),
            ["1.5", "2", "100Ki", "500Mi", "1Gi"]
        );
        assert_eq!(
            sorted(&["pod-10", "pod-2", "Pod-1"], false),
            ["Pod-1", "pod-2", "pod-10"]
        );
    }

    #[test]
    fn sorting_is_stable() {
        let mut v = vec![("b", 1), ("a", 1), ("c", 0)];
        sort_rows(&mut v, false, |r| SortValue::num(r.1 as f64));
        assert_eq!(v, [("c", 0), ("b", 1), ("a", 1)]);
        sort_rows(&mut v, true, |r| SortValue::num(r.1 as f64));
        assert_eq!(v, [("b", 1), ("a", 1), ("c", 0)]);
    }

    #[test]
    fn the_menu_picks_reverses_and_marks() {
        let cur = ColumnSort::by("AGE", false);
        let mut m = SortMenu::new("trouble first", vec!["NAME".into(), "AGE".into()], cur);
        assert_eq!(m.selected, 2);
        assert_eq!(m.entries()[2], "AGE ▲");
        assert_eq!(m.chosen(), ColumnSort::by("AGE", true));
        m.up();
        assert_eq!(m.chosen(), ColumnSort::by("NAME", false));
        m.up();
        assert_eq!(m.chosen(), ColumnSort::default());
        assert_eq!(ColumnSort::default().reversed(), ColumnSort::default());
    }
}
