//! Fitting a grid's columns into a terminal width.
//!
//! In: each column's natural width (its widest cell, in terminal columns) and the room
//! there is. Out: which columns show, at what width, and where a `…` column stands
//! for the hidden ones. Every grid style frames a cell as `│ text ` and closes the
//! line with one border, so a line is 1 + Σ(width + 3) columns wide.
//!
//! When the columns do not fit, the widest are cut first, never below
//! [`MIN_WIDTH`] (a column narrower than that keeps its width). When even that is
//! too wide, columns from the middle are hidden: the shown ones are taken from the
//! left and the right edges in turn, as many as fit beside the `…` column. Fewer
//! columns that can be read beat many cut to a letter or two.

/// The narrowest a cut column gets: a date, or a number of eight digits, still shows
/// whole.
pub(crate) const MIN_WIDTH: usize = 10;

/// Border and padding around one cell: a border and a space before, a space after.
const CELL_FRAME: usize = 3;
/// The border that closes a line.
const LINE_FRAME: usize = 1;

/// One column of the drawn grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Column `index` of the result, `width` columns wide.
    Column {
        /// Position in the schema.
        index: usize,
        /// Width of its cells, without the frame.
        width: usize,
    },
    /// The `…` standing for hidden columns (one column wide).
    Hidden,
}

/// The columns a grid draws, left to right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Shown columns, with at most one [`Slot::Hidden`] among them.
    pub slots: Vec<Slot>,
    /// How many result columns are hidden.
    pub hidden: usize,
}

/// Lays out columns of the given natural widths in at most `max_width` terminal
/// columns (`None`: any width).
pub(crate) fn fit(natural: &[usize], max_width: Option<usize>) -> Layout {
    let all = || Layout {
        slots: natural
            .iter()
            .enumerate()
            .map(|(index, &width)| Slot::Column { index, width })
            .collect(),
        hidden: 0,
    };
    let Some(max_width) = max_width else {
        return all();
    };
    if line_width(natural.iter().copied()) <= max_width {
        return all();
    }
    let least = |i: usize| natural[i].min(MIN_WIDTH);
    let (left, right) = if line_width((0..natural.len()).map(least)) <= max_width {
        ((0..natural.len()).collect(), Vec::new())
    } else {
        edges_that_fit(natural.len(), least, max_width)
    };
    let shown = left.len() + right.len();
    let hidden = natural.len() - shown;
    let frame = LINE_FRAME + CELL_FRAME * shown + if hidden > 0 { 1 + CELL_FRAME } else { 0 };
    let indices: Vec<usize> = left.iter().chain(right.iter().rev()).copied().collect();
    let wanted: Vec<usize> = indices.iter().map(|&i| natural[i]).collect();
    let widths = shrink(&wanted, max_width.saturating_sub(frame));
    let mut slots: Vec<Slot> = indices
        .iter()
        .zip(widths)
        .map(|(&index, width)| Slot::Column { index, width })
        .collect();
    if hidden > 0 {
        slots.insert(left.len(), Slot::Hidden);
    }
    Layout { slots, hidden }
}

/// Width of a line with cells of these widths.
fn line_width(widths: impl Iterator<Item = usize>) -> usize {
    LINE_FRAME + widths.map(|w| w + CELL_FRAME).sum::<usize>()
}

/// Columns taken from the left and right edges in turn, at their least width, while
/// they fit beside a `…` column; always at least the first column.
fn edges_that_fit(
    columns: usize,
    least: impl Fn(usize) -> usize,
    max_width: usize,
) -> (Vec<usize>, Vec<usize>) {
    let mut used = LINE_FRAME + 1 + CELL_FRAME;
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let (mut l, mut r) = (0, columns);
    while l < r {
        let from_left = left.len() <= right.len();
        let index = if from_left { l } else { r - 1 };
        let cost = least(index) + CELL_FRAME;
        if used + cost > max_width {
            break;
        }
        used += cost;
        if from_left {
            left.push(index);
            l += 1;
        } else {
            right.push(index);
            r -= 1;
        }
    }
    if left.is_empty() && columns > 0 {
        left.push(0);
        right.clear();
    }
    (left, right)
}

/// Widths at most `wanted`, summing to at most `budget` when that is possible without
/// going below [`MIN_WIDTH`]: every column wider than some cap is cut to it (the
/// largest cap that fits), and the room left over goes one column each to the cut ones.
fn shrink(wanted: &[usize], budget: usize) -> Vec<usize> {
    let sum_at = |cap: usize| wanted.iter().map(|&w| w.min(cap)).sum::<usize>();
    if sum_at(usize::MAX) <= budget {
        return wanted.to_vec();
    }
    let (mut lo, mut hi) = (MIN_WIDTH, wanted.iter().copied().max().unwrap_or(MIN_WIDTH));
    if sum_at(lo) > budget {
        return wanted.iter().map(|&w| w.min(MIN_WIDTH)).collect();
    }
    // The largest cap in lo..=hi whose total fits: sum_at(lo) fits, sum_at(hi) does not.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if sum_at(mid) <= budget {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut spare = budget - sum_at(lo);
    wanted
        .iter()
        .map(|&w| {
            if w > lo && spare > 0 {
                spare -= 1;
                lo + 1
            } else {
                w.min(lo)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(layout: &Layout) -> Vec<Option<usize>> {
        layout
            .slots
            .iter()
            .map(|s| match s {
                Slot::Column { width, .. } => Some(*width),
                Slot::Hidden => None,
            })
            .collect()
    }

    fn drawn_width(layout: &Layout) -> usize {
        line_width(widths(layout).into_iter().map(|w| w.unwrap_or(1)))
    }

    #[test]
    fn everything_fits() {
        let l = fit(&[3, 10, 4], None);
        assert_eq!(widths(&l), [Some(3), Some(10), Some(4)]);
        let l = fit(&[3, 10, 4], Some(1 + 6 + 13 + 7));
        assert_eq!(widths(&l), [Some(3), Some(10), Some(4)]);
        assert_eq!(l.hidden, 0);
    }

    #[test]
    fn the_widest_columns_are_cut_first() {
        // 1 + (4+3) + (50+3) + (30+3) = 94 wide; 60 leaves 60 - 10 = 50 for cells.
        let l = fit(&[4, 50, 30], Some(60));
        assert_eq!(widths(&l), [Some(4), Some(23), Some(23)]);
        assert_eq!(drawn_width(&l), 60);
        let l = fit(&[4, 50, 30], Some(61));
        assert_eq!(widths(&l), [Some(4), Some(24), Some(23)]);
        // Never below MIN_WIDTH, and narrow columns keep their width.
        let l = fit(&[2, 50, 30], Some(1 + 5 + 13 + 13));
        assert_eq!(widths(&l), [Some(2), Some(10), Some(10)]);
        assert_eq!(l.hidden, 0);
    }

    #[test]
    fn middle_columns_hide_behind_an_ellipsis() {
        // Ten columns of 20 in 40 columns: at 10 each, two fit beside the `…`, and
        // share the room left.
        let l = fit(&[20; 10], Some(40));
        assert_eq!(l.hidden, 8);
        assert_eq!(widths(&l), [Some(15), None, Some(14)]);
        let indices: Vec<Option<usize>> = l
            .slots
            .iter()
            .map(|s| match s {
                Slot::Column { index, .. } => Some(*index),
                Slot::Hidden => None,
            })
            .collect();
        assert_eq!(indices, [Some(0), None, Some(9)]);
        assert_eq!(drawn_width(&l), 40);
        // Not even one column fits: the first one shows anyway.
        let l = fit(&[20; 3], Some(6));
        assert_eq!(widths(&l), [Some(10), None]);
        assert_eq!(l.hidden, 2);
    }
}
