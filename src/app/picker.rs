//! One list to pick from: the revision and backup pickers, the host-action menu and the
//! audit viewer all move through their rows with it. Pure.

use crate::action::Action;

/// Rows and the selected one. Derefs to the rows, so a picker reads like the list it
/// holds (`picker[0]`, `picker.len()`, `picker.iter()`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picker<T> {
    pub items: Vec<T>,
    /// Index into `items`; kept at most the last row (0 when empty).
    pub selected: usize,
}

/// Rows a page key moves.
pub const PAGE: usize = 10;

impl<T> Picker<T> {
    pub fn new(items: Vec<T>, selected: usize) -> Picker<T> {
        let mut p = Picker { items, selected };
        p.selected = p.clamp(selected);
        p
    }

    fn clamp(&self, i: usize) -> usize {
        i.min(self.items.len().saturating_sub(1))
    }

    pub fn up(&mut self, rows: usize) {
        self.selected = self.selected.saturating_sub(rows);
    }

    pub fn down(&mut self, rows: usize) {
        self.selected = self.clamp(self.selected.saturating_add(rows));
    }

    /// Moves for a movement action (`select.up`/`down`, `select.page-up`/`page-down`);
    /// false for any other action, which the caller then handles.
    pub fn on_action(&mut self, action: Action) -> bool {
        match action {
            Action::SelectUp => self.up(1),
            Action::SelectDown => self.down(1),
            Action::PageUp => self.up(PAGE),
            Action::PageDown => self.down(PAGE),
            _ => return false,
        }
        true
    }

    /// The selected row.
    pub fn chosen(&self) -> Option<&T> {
        self.items.get(self.selected)
    }

    /// The rows shown in a window of `height` rows: from the top, until the selection
    /// would fall below the window, which then ends at the selection.
    pub fn window(&self, height: usize) -> std::ops::Range<usize> {
        let start = (self.selected + 1).saturating_sub(height);
        start..(start + height).min(self.items.len())
    }
}

impl<T> std::ops::Deref for Picker<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T: PartialEq> PartialEq<Vec<T>> for Picker<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        &self.items == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stay_in_the_list_and_the_window_follows_the_selection() {
        let mut p = Picker::new((0..25).collect::<Vec<u32>>(), 99);
        assert_eq!(p.selected, 24, "clamped to the last row");
        assert!(p.on_action(Action::PageUp));
        assert_eq!(p.chosen(), Some(&14));
        p.up(100);
        assert_eq!(p.selected, 0);
        assert_eq!(p.window(10), 0..10);
        assert!(p.on_action(Action::SelectDown));
        p.down(PAGE);
        assert_eq!(p.selected, 11);
        assert_eq!(
            p.window(10),
            2..12,
            "the selection is the window's last row"
        );
        p.down(100);
        assert_eq!(p.selected, 24);
        assert!(!p.on_action(Action::Confirm));
        let empty: Picker<u32> = Picker::new(Vec::new(), 3);
        assert_eq!((empty.selected, empty.chosen()), (0, None));
        assert_eq!(empty.window(5), 0..0);
    }
}
