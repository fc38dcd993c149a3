//! A theme's RGB colours on a terminal with fewer: the nearest of the xterm 256-colour
//! palette's cube and grey ramp (indices 16–255, which every 256-colour terminal draws the
//! same), or of the 16 ANSI colours (the terminal's own palette, so only roughly).

use ratatui::style::{Color, Style};

use crate::term::ColorDepth;

/// The six levels of each channel in the xterm colour cube (indices 16–231).
const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// xterm's default RGB of the 16 ANSI colours, in index order.
const ANSI: [[u8; 3]; 16] = [
    [0, 0, 0],
    [205, 0, 0],
    [0, 205, 0],
    [205, 205, 0],
    [0, 0, 238],
    [205, 0, 205],
    [0, 205, 205],
    [229, 229, 229],
    [127, 127, 127],
    [255, 0, 0],
    [0, 255, 0],
    [255, 255, 0],
    [92, 92, 255],
    [255, 0, 255],
    [0, 255, 255],
    [255, 255, 255],
];

fn dist(a: [u8; 3], b: [u8; 3]) -> u32 {
    // weighted for the eye (green counts most), as a cheap stand-in for a perceptual space
    let d = |i: usize, w: i32| {
        let x = i32::from(a[i]) - i32::from(b[i]);
        (w * x * x) as u32
    };
    d(0, 2) + d(1, 4) + d(2, 3)
}

/// The RGB an xterm-256 index draws (16–255; 0–15 are the terminal's own).
fn rgb_of_index(i: u8) -> [u8; 3] {
    match i {
        0..=15 => ANSI[usize::from(i)],
        16..=231 => {
            let n = i - 16;
            [
                CUBE[usize::from(n / 36)],
                CUBE[usize::from(n / 6 % 6)],
                CUBE[usize::from(n % 6)],
            ]
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            [v, v, v]
        }
    }
}

/// The nearest xterm-256 index (16–255) to an RGB colour.
pub fn nearest_256(rgb: [u8; 3]) -> u8 {
    let level = |v: u8| -> usize {
        // the cube level nearest to v
        (0..6)
            .min_by_key(|&k| (i32::from(CUBE[k]) - i32::from(v)).abs())
            .unwrap_or(0)
    };
    let (r, g, b) = (level(rgb[0]), level(rgb[1]), level(rgb[2]));
    let cube = (16 + 36 * r + 6 * g + b) as u8;
    let avg = (u32::from(rgb[0]) + u32::from(rgb[1]) + u32::from(rgb[2])) / 3;
    let grey = 232 + (avg.saturating_sub(3) / 10).min(23) as u8;
    if dist(rgb_of_index(grey), rgb) < dist(rgb_of_index(cube), rgb) {
        grey
    } else {
        cube
    }
}

/// The nearest of the 16 ANSI colours to an RGB colour, by hue rather than distance: a
/// soft red of a theme is nearer to grey than to ANSI red by distance, but reads as red.
/// Greys by lightness; a colour by its hue's sector, bright when it is light.
pub fn nearest_16(rgb: [u8; 3]) -> Color {
    let [r, g, b] = rgb.map(i32::from);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let chroma = max - min;
    if chroma < 48 {
        let light = (r * 2 + g * 4 + b * 3) / 9;
        return match light {
            0..48 => Color::Black,
            48..144 => Color::DarkGray,
            144..220 => Color::Gray,
            _ => Color::White,
        };
    }
    let hue = if max == r {
        60.0 * ((g - b) as f32 / chroma as f32)
    } else if max == g {
        60.0 * ((b - r) as f32 / chroma as f32 + 2.0)
    } else {
        60.0 * ((r - g) as f32 / chroma as f32 + 4.0)
    }
    .rem_euclid(360.0);
    let sector = ((hue / 60.0).round() as usize) % 6;
    let bright = max > 200;
    let (dark, light) = [
        (Color::Red, Color::LightRed),
        (Color::Yellow, Color::LightYellow),
        (Color::Green, Color::LightGreen),
        (Color::Cyan, Color::LightCyan),
        (Color::Blue, Color::LightBlue),
        (Color::Magenta, Color::LightMagenta),
    ][sector];
    if bright { light } else { dark }
}

/// A colour as the terminal of this depth can show it. Named colours stay as they are.
pub fn map_color(c: Color, depth: ColorDepth) -> Color {
    match (depth, c) {
        (ColorDepth::TrueColor, c) => c,
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(nearest_256([r, g, b])),
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => nearest_16([r, g, b]),
        (ColorDepth::Ansi16, Color::Indexed(i)) => nearest_16(rgb_of_index(i)),
        (_, c) => c,
    }
}

/// A style's colours mapped to the depth.
pub fn map_style(s: Style, depth: ColorDepth) -> Style {
    Style {
        fg: s.fg.map(|c| map_color(c, depth)),
        bg: s.bg.map(|c| map_color(c, depth)),
        underline_color: s.underline_color.map(|c| map_color(c, depth)),
        ..s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_palette_colours_map_to_their_index() {
        assert_eq!(nearest_256([0, 0, 0]), 16);
        assert_eq!(nearest_256([255, 255, 255]), 231);
        assert_eq!(nearest_256([255, 0, 0]), 196);
        assert_eq!(nearest_256([95, 135, 175]), 67);
        assert_eq!(nearest_256([128, 128, 128]), 244);
        assert_eq!(nearest_256([8, 8, 8]), 232);
        for i in 16..=255u8 {
            let back = nearest_256(rgb_of_index(i));
            assert_eq!(rgb_of_index(back), rgb_of_index(i), "index {i}");
        }
    }

    #[test]
    fn near_colours_map_to_the_nearest() {
        // a theme's soft red and a dark blue-grey background
        assert_eq!(nearest_256([0xe0, 0x6c, 0x75]), 168);
        assert_eq!(nearest_256([0x28, 0x2c, 0x34]), 236);
        assert_eq!(nearest_16([0xe0, 0x6c, 0x75]), Color::LightRed);
        assert_eq!(nearest_16([0x98, 0xc3, 0x79]), Color::Green);
        assert_eq!(nearest_16([0x28, 0x2c, 0x34]), Color::Black);
        assert_eq!(nearest_16([0xe5, 0xc0, 0x7b]), Color::LightYellow);
        assert_eq!(nearest_16([0x61, 0xaf, 0xef]), Color::LightCyan);
        assert_eq!(nearest_16([0x3b, 0x5b, 0xdb]), Color::LightBlue);
        assert_eq!(nearest_16([0xab, 0xb2, 0xbf]), Color::Gray);
        assert_eq!(nearest_16([0x5c, 0x63, 0x70]), Color::DarkGray);
    }

    #[test]
    fn styles_keep_named_colours_and_modifiers() {
        let s = Style::default()
            .fg(Color::Rgb(255, 0, 0))
            .bg(Color::Blue)
            .add_modifier(ratatui::style::Modifier::BOLD);
        let m = map_style(s, ColorDepth::Ansi256);
        assert_eq!(m.fg, Some(Color::Indexed(196)));
        assert_eq!(m.bg, Some(Color::Blue));
        assert!(m.add_modifier.contains(ratatui::style::Modifier::BOLD));
        assert_eq!(map_style(s, ColorDepth::TrueColor), s);
        assert_eq!(
            map_color(Color::Indexed(196), ColorDepth::Ansi16),
            Color::LightRed
        );
    }
}
