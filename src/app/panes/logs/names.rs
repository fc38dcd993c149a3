//! How pods are told apart in the merged stream: a stable colour per name and the part of
//! each name that differs.

/// stern's pod colour: FNV-32 of the name, modulo the palette.
pub fn pod_colour(name: &str) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h = h.wrapping_mul(0x0100_0193);
        h ^= b as u32;
    }
    h as usize
}

/// The distinguishing part of each name: the common `-`-separated prefix dropped; a lone
/// pod keeps its last segment.
pub fn suffixes(names: &[&str]) -> Vec<String> {
    if names.len() == 1 {
        let n = names[0];
        return vec![n.rsplit('-').next().unwrap_or(n).to_owned()];
    }
    let first = names.first().copied().unwrap_or("");
    let mut common = first.len();
    for n in names {
        common = common.min(
            first
                .bytes()
                .zip(n.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    // cut back to just after a '-'
    let prefix = &first[..common];
    let cut = prefix.rfind('-').map_or(0, |i| i + 1);
    names
        .iter()
        .map(|n| {
            let s = &n[cut.min(n.len())..];
            if s.is_empty() {
                (*n).to_owned()
            } else {
                s.to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_drop_the_common_prefix() {
        assert_eq!(
            suffixes(&[
                "checkout-7d9f-abcde",
                "checkout-7d9f-xyz12",
                "checkout-5c4-q1"
            ]),
            vec!["7d9f-abcde", "7d9f-xyz12", "5c4-q1"]
        );
        assert_eq!(suffixes(&["cart-7d9f-abcde"]), vec!["abcde"]);
    }
}
